/**
 * The repository's migrations entry (the layout keeps this directory). The migrations themselves live with the
 * entities they change, in libs/persistence/src/migrations, which owns them; `npm run migrate` applies them.
 */
export { MIGRATIONS } from '../libs/persistence/src/migrations';
