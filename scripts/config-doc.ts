// Prints the configuration table for the README from src/config.ts, the one place variables are declared.
import { configTable } from '../src/config';

console.log(configTable());
