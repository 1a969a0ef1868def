#!/usr/bin/env node
// Runs the compiled CLI (dist/); `npm run build:ts` makes it from lib/.
import { main } from '../dist/cli/main.js';
await main();
