// `switchyard fn --help` is the function's README (functions/switchyard/README.md), not a second
// text: its Short and Long blocks (the kpt catalog's <!--mdtogo:...--> markers: the Overview's first
// paragraph, then Usage and FunctionConfig) rendered for a terminal. Headings become `Title:`,
// code blocks are indented, inline code marks and link targets are dropped.
export function fnHelpFromReadme(markdown) {
  const block = (name) => {
    const found = markdown.match(new RegExp(`<!--mdtogo:${name}-->\\n([\\s\\S]*?)<!--mdtogo-->`));
    if (!found) throw new Error(`functions/switchyard/README.md has no <!--mdtogo:${name}--> ... <!--mdtogo--> block.`);
    return found[1].trim();
  };
  const out = [];
  let inCode = false;
  let afterHeading = false;
  for (const line of `${block('Short')}\n\n${block('Long')}`.split('\n')) {
    if (line.startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (afterHeading && line.trim() === '') continue;
    afterHeading = false;
    if (inCode) {
      out.push(line === '' ? '' : `  ${line}`);
      continue;
    }
    const heading = line.match(/^#+\s+(.*)$/);
    if (heading) {
      out.push(`${heading[1]}:`);
      afterHeading = true;
      continue;
    }
    out.push(line.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').replace(/`([^`]+)`/g, '$1'));
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}`;
}
