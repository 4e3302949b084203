#!/usr/bin/env node
// The rgate API gateway (Docker-label routes) is built in a later issue; until then this bin says so.
process.stderr.write('rgate: not built yet, see issue 5\n');
process.exit(2);
