// A floor: the same ResourceList parsed and printed by the yaml library alone (what a function
// that reads everything with the document API pays before doing any work).
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

process.stdout.write(parseDocument(readFileSync(0, 'utf8')).toString({ lineWidth: 0, indentSeq: false }));
