// npm run test:integration: real PostgreSQL and Temporal; neither the unit tests nor the system ones (test/speeds.cjs).
// One process: the servers are started once per mocha process, so a second one would start them all again.
const base = require('./.mocharc.json');
const { all, unit, system } = require('./test/speeds.cjs');

module.exports = { ...base, spec: all, ignore: [...unit, ...system] };
