// Every regular-expression literal of a TypeScript file, found by a small lexer (strings, template
// literals, comments and the division operator are told apart from regex literals the way the
// ECMAScript grammar does, by the token before the slash). For test/input-regex.test.ts.

export interface RegexLiteral {
  file: string;
  line: number;
  source: string;
  flags: string;
}

/** Tokens after which a `/` starts a regex literal rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);

export function regexLiterals(text: string, file: string): RegexLiteral[] {
  const found: RegexLiteral[] = [];
  let i = 0;
  let line = 1;
  // What came last: 'value' (an identifier, number, `)` or `]`: a slash divides) or 'operator'.
  let last: 'value' | 'operator' = 'operator';
  const templates: number[] = []; // brace depth at which each open template literal's `${` resumes
  let braces = 0;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const skipString = (quote: string) => {
    let k = i + 1;
    while (k < text.length && text[k] !== quote) k += text[k] === '\\' ? 2 : 1;
    advance(k + 1);
  };
  const skipTemplate = () => {
    // From just after a backtick or a `}` that closes `${`: to the closing backtick or the next `${`.
    let k = i;
    while (k < text.length) {
      if (text[k] === '\\') k += 2;
      else if (text[k] === '`') {
        advance(k + 1);
        return;
      } else if (text[k] === '$' && text[k + 1] === '{') {
        templates.push(braces);
        braces++;
        advance(k + 2);
        last = 'operator';
        return;
      } else k++;
    }
    advance(k);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      advance(i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      advance(end < 0 ? text.length : end);
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      advance(end < 0 ? text.length : end + 2);
    } else if (c === '"' || c === "'") {
      skipString(c);
      last = 'value';
    } else if (c === '`') {
      advance(i + 1);
      skipTemplate();
      last = 'value';
    } else if (c === '/' && last === 'operator') {
      let k = i + 1;
      let inClass = false;
      while (k < text.length && (inClass || text[k] !== '/')) {
        if (text[k] === '\\') k++;
        else if (text[k] === '[') inClass = true;
        else if (text[k] === ']') inClass = false;
        else if (text[k] === '\n') throw new Error(`${file}:${line}: unterminated regex literal`);
        k++;
      }
      const source = text.slice(i + 1, k);
      let f = k + 1;
      while (f < text.length && /[a-z]/.test(text[f]!)) f++;
      found.push({ file, line, source, flags: text.slice(k + 1, f) });
      advance(f);
      last = 'value';
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let k = i;
      while (k < text.length && /[A-Za-z0-9_$]/.test(text[k]!)) k++;
      const word = text.slice(i, k);
      advance(k);
      last = KEYWORDS_BEFORE_EXPRESSION.has(word) ? 'operator' : 'value';
    } else if (c === '}' && templates.length > 0 && templates[templates.length - 1] === braces - 1) {
      templates.pop();
      braces--;
      advance(i + 1);
      skipTemplate();
      last = 'value';
    } else {
      if (c === '{') braces++;
      if (c === '}') braces--;
      advance(i + 1);
      last = c === ')' || c === ']' || c === '}' ? 'value' : 'operator';
    }
  }
  return found;
}
