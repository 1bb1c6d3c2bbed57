// The example app's screens under expo-router's test renderer (jest-expo, iOS), native modules mocked and a
// fake reelq behind fetch: the seed's flow as a user meets it.
module.exports = {
  preset: "jest-expo",
  rootDir: __dirname,
  testMatch: ["<rootDir>/__tests__/**/*.test.ts?(x)"],
  testTimeout: 30000,
};
