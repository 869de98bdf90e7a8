#!/usr/bin/env node
// The CLI entry: registers tsx so the TypeScript sources run without a build step, then hands over.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
