// Which Node runs this project, checked before anything else loads. Plain JavaScript, not TypeScript:
// an older Node cannot even read a .ts file, so this is what `npm start` and `npm test` run first
// (their pre-scripts in package.json), and every service's telemetry bootstrap imports it.
// The minimum agrees with `engines.node` in package.json (test/stack/node-version.test.ts).

export const MINIMUM_NODE_MAJOR = 24;

/** What is wrong with this Node version and how to get a good one, in one line; undefined when it is fine. */
export function nodeVersionProblem(version = process.versions.node) {
  const major = Number(String(version).replace(/^v/, '').split('.')[0]);
  if (major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `sre-stack needs Node ${MINIMUM_NODE_MAJOR} or newer, and this is Node ${version}. ` +
    `Use nvm (\`nvm install\` reads .nvmrc), or, with npm alone, ` +
    `export PATH="$(npx -y node@${MINIMUM_NODE_MAJOR} -p 'path.dirname(process.execPath)'):$PATH" and run again.`
  );
}

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
