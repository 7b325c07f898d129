/**
 * Reading a settings file as VS Code writes and accepts it (JSON with comments and trailing commas), to find
 * whether a workspace tries to define `mailops.hosts`. Pure (no vscode import), so it is unit-tested.
 *
 * Why our own: VS Code ignores a machine-scoped setting in workspace files without telling the extension
 * (inspect() has no workspaceValue then), so the only way to warn the operator is to read the file. A small
 * scanner is enough for that and keeps a runtime dependency out of the bundle.
 */

/** The text as strict JSON: comments blanked out, trailing commas before `}` / `]` removed. */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      // A string, copied as is (escapes included) up to its closing quote.
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
    } else if (c === ',') {
      // Drop the comma when only whitespace and comments stand between it and a closing bracket.
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j]!)) j++;
        if (text[j] === '/' && text[j + 1] === '/') {
          while (j < n && text[j] !== '\n') j++;
        } else if (text[j] === '/' && text[j + 1] === '*') {
          const end = text.indexOf('*/', j + 2);
          j = end < 0 ? n : end + 2;
        } else break;
      }
      if (text[j] !== '}' && text[j] !== ']') out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Parse a settings file; undefined when it is not an object (or not parseable at all). */
export function parseSettingsText(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(stripJsonc(text.replace(/^\uFEFF/, '')));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a settings object sets `section.key`: the dotted form (`"mailops.hosts"`), the nested form
 * (`"mailops": {"hosts": …}`), or inside a language override block (`"[json]": {…}`).
 */
export function definesSetting(settings: Record<string, unknown>, section: string, key: string): boolean {
  if (Object.prototype.hasOwnProperty.call(settings, `${section}.${key}`)) return true;
  const nested = settings[section];
  if (typeof nested === 'object' && nested !== null && Object.prototype.hasOwnProperty.call(nested, key)) return true;
  return Object.entries(settings).some(
    ([k, v]) => /^\[.*\]$/.test(k) && typeof v === 'object' && v !== null && !Array.isArray(v) && definesSetting(v as Record<string, unknown>, section, key),
  );
}

/**
 * Whether a settings file's text defines `section.key`. When the text cannot be parsed even as JSONC, a
 * plain look for the quoted key decides: a broken file that names the setting still earns the warning.
 */
export function settingsTextDefines(text: string, section: string, key: string): boolean {
  const parsed = parseSettingsText(text);
  if (parsed) return definesSetting(parsed, section, key);
  return text.includes(`"${section}.${key}"`);
}

/** A `.code-workspace` file: its `settings` object defines `section.key`. */
export function workspaceFileDefines(text: string, section: string, key: string): boolean {
  const parsed = parseSettingsText(text);
  if (!parsed) return text.includes(`"${section}.${key}"`);
  const settings = parsed.settings;
  return typeof settings === 'object' && settings !== null && !Array.isArray(settings) && definesSetting(settings as Record<string, unknown>, section, key);
}
