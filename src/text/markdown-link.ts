/**
 * Links built from untrusted URLs (a run's workflow URL comes from the run record, i.e.
 * from the PR): only http(s) without credentials, and with every character that could end
 * the link destination, a table cell or an HTML attribute percent-encoded.
 */

/** Returns a normalised http(s) URL safe inside `[text](url)`, or undefined. */
export function safeHttpUrl(url: string | null | undefined): string | undefined {
  if (typeof url !== 'string' || url.length > 2000) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  // URL.href already encodes spaces, quotes, < and >; these remain meaningful to Markdown.
  return parsed.href.replace(
    /[()[\]|*_`~$@\\'!]/gu,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/**
 * `[label](url)` when the URL is safe, else the label alone. `label` must already be
 * escaped Markdown.
 */
export function markdownLink(label: string, url: string | null | undefined): string {
  const safe = safeHttpUrl(url);
  return safe === undefined ? label : `[${label}](${safe})`;
}
