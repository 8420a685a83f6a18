import { fileURLToPath } from 'node:url';
import { packageTestConfig } from '../../vitest.shared.ts';

export default packageTestConfig(fileURLToPath(new URL('.', import.meta.url)), { timeoutMs: 60_000 });
