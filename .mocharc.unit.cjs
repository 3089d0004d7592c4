// npm run test:unit: the tests that need no server (test/speeds.cjs), two mocha processes side by side.
const base = require('./.mocharc.json');
const { unit } = require('./test/speeds.cjs');

module.exports = { ...base, require: [...base.require, 'test/support/unit.ts'], spec: unit, parallel: true, jobs: 2 };
