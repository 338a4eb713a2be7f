import * as fs from 'fs';

/** One login module line of a JAAS configuration section. */
export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

/**
 * Parses a JAAS login configuration file (the file `-Djava.security.auth.login.config=` names):
 * `Name { module flag key="value" ...; ... };`, with // and /* *\/ comments.
 */
export function parseJaas(text: string): Map<string, JaasEntry[]> {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/#[^\n]*/g, ' ');
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|[{};=]|[^\s{};="]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    if (m[1] === undefined) break;
    tokens.push(m[1]);
  }
  const sections = new Map<string, JaasEntry[]>();
  let i = 0;
  const expect = (t: string) => {
    if (tokens[i] !== t) throw new Error(`JAAS configuration: expected '${t}' but found '${tokens[i] ?? 'end of file'}'`);
    i++;
  };
  const unquote = (t: string) => (t.startsWith('"') ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t);
  while (i < tokens.length) {
    const name = tokens[i++];
    expect('{');
    const entries: JaasEntry[] = [];
    while (tokens[i] !== '}') {
      if (i >= tokens.length) throw new Error(`JAAS configuration: section ${name} is not closed`);
      const loginModule = tokens[i++];
      const flag = tokens[i++];
      const options = new Map<string, string>();
      while (tokens[i] !== ';') {
        if (i >= tokens.length) throw new Error(`JAAS configuration: entry ${loginModule} in ${name} has no ';'`);
        const key = tokens[i++];
        expect('=');
        options.set(key, unquote(tokens[i++]));
      }
      i++;
      entries.push({ loginModule, flag, options });
    }
    i++;
    if (tokens[i] === ';') i++;
    sections.set(name, entries);
  }
  return sections;
}

/** The DIGEST-MD5 users (user_<name>="<password>") of a JAAS section. */
export function digestUsers(entries: JaasEntry[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const e of entries) {
    for (const [k, v] of e.options) if (k.startsWith('user_')) users.set(k.substring(5), v);
  }
  return users;
}

export function loadJaasFile(file: string): Map<string, JaasEntry[]> {
  return parseJaas(fs.readFileSync(file, 'utf8'));
}
