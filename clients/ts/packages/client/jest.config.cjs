// React Native adapter and hook tests: jest-expo with native modules mocked (see test/rn/).
module.exports = {
  preset: "jest-expo",
  rootDir: __dirname,
  testMatch: ["<rootDir>/test/rn/**/*.test.ts?(x)"],
  testTimeout: 30000,
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
};
