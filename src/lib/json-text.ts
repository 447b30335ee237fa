// What JSON.parse does not say of a text: a name given twice in one object (JSON.parse keeps the
// last, so what is sent would differ from what was written) and nesting deeper than anything amps
// sends (re-serialising a body of 10,000 levels overflows the stack). Read by one pass over the
// text, without recursion, after JSON.parse has accepted it.

export type JsonTextProblem = { kind: 'repeated'; path: string } | { kind: 'deep'; depth: number };

interface Frame {
  /** The names seen so far; undefined for an array. */
  names?: Set<string>;
  /** The path of this object or array (`action.parameters`, `items[2]`). */
  path: string;
  /** An object: the next string is a name. */
  expectName: boolean;
  /** The name whose value comes next, or the array's index. */
  at: string | number;
}

function childPath(frame: Frame | undefined): string {
  if (!frame) return '';
  if (typeof frame.at === 'number') return `${frame.path}[${frame.at}]`;
  return frame.path ? `${frame.path}.${frame.at}` : frame.at;
}

/** The first name repeated in an object, or nesting past `maxDepth`; undefined when neither. `text` is JSON that JSON.parse accepted. */
export function jsonTextProblem(text: string, maxDepth: number): JsonTextProblem | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const top = stack[stack.length - 1];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.names && top.expectName) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        // An empty name is said as one: `gives  twice` would read as a slip of the message.
        const shown = name === '' ? '""' : name;
        if (top.names.has(name)) return { kind: 'repeated', path: top.path ? `${top.path}.${shown}` : shown };
        top.names.add(name);
        top.at = name;
        top.expectName = false;
      }
      i = end;
    } else if (char === '{' || char === '[') {
      if (stack.length >= maxDepth) return { kind: 'deep', depth: maxDepth };
      stack.push({ names: char === '{' ? new Set() : undefined, path: childPath(top), expectName: char === '{', at: char === '{' ? '' : 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top) {
      if (top.names) top.expectName = true;
      else top.at = (top.at as number) + 1;
    }
  }
  return undefined;
}
