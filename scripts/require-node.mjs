// Runs before `npm test`, `npm start` and `npm run bench`: everything here runs on the Node.js that Lambda
// runs (nodejs22.x). `npm ci` puts Node 22 into node_modules/.bin; this says what to do when it could not.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `irsa-broker runs on Node.js 22 (Lambda's nodejs22.x), but this is Node.js ${process.version} (${process.execPath}).\n` +
      'Run `npm ci` first: it installs Node 22 into node_modules/.bin on Linux (x64, arm64) and Intel macOS.\n' +
      'On other platforms install Node.js 22 and run npm with it.',
  );
  process.exit(1);
}
