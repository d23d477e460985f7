/**
 * Imported first by the commands people run: on a Node.js too old for the rest, one clear line
 * and exit 2, before any module that needs a newer one is evaluated.
 */
import { nodeTooOld } from './node-version.js';

const problem = nodeTooOld();
if (problem) {
  console.error(problem);
  process.exit(2);
}
