#!/usr/bin/env node
// The bin is flaky-server.mjs; this path still starts it, for commands written before the bins became plain
// JavaScript. It costs what the .mjs saves: Node type-strips this file before anything runs, which
// loads its TypeScript stripper (about 0.1 s and 15 MiB) unless NODE_COMPILE_CACHE was set beforehand.
import './flaky-server.mjs';
