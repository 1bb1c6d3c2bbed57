// Upload a file to reelq with tus-js-client, aborting at the given byte offsets and resuming each time
// from the URL it stored (as an app does after being killed). Connection drops injected by a proxy in
// front of the server are handled by tus-js-client's own retries.
//
// usage: node upload.mjs ENDPOINT FILE TOKEN CHUNK_SIZE STORE_JSON ABORT_AT[,ABORT_AT...]
// prints one JSON line: {"jobId", "url", "aborts", "resumedFrom": [...]}
import fs from 'node:fs'
import * as tus from 'tus-js-client'

const [endpoint, file, token, chunkSize, storePath, abortList] = process.argv.slice(2)
const aborts = (abortList || '').split(',').filter(Boolean).map(Number).sort((a, b) => a - b)
const size = fs.statSync(file).size
const urlStorage = new tus.FileUrlStorage(storePath)
const resumedFrom = []
let aborted = 0

function attempt() {
  return new Promise((resolve, reject) => {
    const nextAbort = aborts[aborted]
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint,
      uploadSize: size,
      chunkSize: Number(chunkSize),
      retryDelays: [0, 100, 300, 500, 1000, 1000, 2000, 2000, 3000, 3000],
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: 'clip-js.mp4', filetype: 'video/mp4' },
      urlStorage,
      fingerprint: async () => `reelq-e2e:${file}:${size}`,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress(sent) {
        if (nextAbort !== undefined && sent >= nextAbort) {
          aborted += 1
          upload.abort(false).then(() => resolve(null))
        }
      },
      onSuccess(payload) {
        resolve({ url: upload.url, jobId: payload.lastResponse.getHeader('Upload-Job-Id') })
      },
      onError: reject,
    })
    upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) {
        upload.resumeFromPreviousUpload(previous[0])
        resumedFrom.push(previous[0].uploadUrl)
      }
      upload.start()
    }, reject)
  })
}

for (;;) {
  const result = await attempt()
  if (result) {
    console.log(JSON.stringify({ ...result, aborts: aborted, resumedFrom }))
    break
  }
}
