#!/usr/bin/env node
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  stdin: async () => {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data;
  },
});
