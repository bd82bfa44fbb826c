#!/usr/bin/env node
// The `irsa-broker` command (package.json bin): registers tsx, which runs the TypeScript client as is.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
