// What Temporal require()s by `failureConverterPath`: the TypeScript module, loaded through tsx,
// because a worker inside a test runner (or a plain `node`) has no TypeScript loader for require().
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./failure-converter.ts', __filename);
