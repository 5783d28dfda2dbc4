/**
 * The rights metadata a released image carries, ISIC-Archive style, as one XMP APP1 segment —
 * and the allowlist check that proves a released image carries nothing else in its XMP.
 */
import { readJpegSegments } from '../storage/jpeg/jpeg-segments.ts';

export interface RightsMetadata {
  /** Public image id, e.g. 'ISIC_0652620'. */
  isicId: string;
  /** Licence name, e.g. 'CC-BY-NC'. */
  license: string;
  /** Licence deed, e.g. 'https://creativecommons.org/licenses/by-nc/4.0/'. */
  licenseUrl?: string;
  /** Who must be credited, e.g. 'MILK study team'. */
  attribution: string;
  /** Who supplies the image, e.g. 'ISIC Archive'. */
  supplier: string;
}

const XMP_NAMESPACE = 'http://ns.adobe.com/xap/1.0/';

const NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  xml: 'http://www.w3.org/XML/1998/namespace',
  dc: 'http://purl.org/dc/elements/1.1/',
  xmpRights: 'http://ns.adobe.com/xap/1.0/rights/',
  photoshop: 'http://ns.adobe.com/photoshop/1.0/',
  plus: 'http://ns.useplus.org/ldf/xmp/1.0/',
} as const;

/**
 * Every XMP property (top-level or structure field) a released image may carry, as
 * 'prefix:localName' with the prefixes of `NS` (the check compares namespace URIs, not prefixes).
 * plus:Licensor is a Seq of structures; plus:LicensorName is the field inside it.
 */
export const ALLOWED_XMP_PROPERTIES: readonly string[] = Object.freeze([
  'dc:title',
  'photoshop:Credit',
  'photoshop:Source',
  'plus:ImageSupplierImageID',
  'plus:Licensor',
  'plus:LicensorName',
  'xmpRights:UsageTerms',
  'xmpRights:WebStatement',
]);

/** A complete APP1 segment: FFE1, length, 'http://ns.adobe.com/xap/1.0/\0', then the XMP packet. Same input, same bytes. */
export function rightsXmpSegment(rights: RightsMetadata): Buffer {
  const packet = Buffer.from(rightsXmpPacket(rights), 'utf8');
  const length = 2 + XMP_NAMESPACE.length + 1 + packet.length;
  if (length > 0xffff) throw new Error(`rights XMP too large for one APP1 segment: ${length} bytes (max 65535)`);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, Buffer.from(`${XMP_NAMESPACE}\0`, 'latin1'), packet]);
}

/** The XMP packet text: fixed layout, no dates, no instance ids, no padding. */
export function rightsXmpPacket(rights: RightsMetadata): string {
  const alt = (text: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(text)}</rdf:li></rdf:Alt>`;
  const lines = [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    `<x:xmpmeta xmlns:x="${NS.x}">`,
    ` <rdf:RDF xmlns:rdf="${NS.rdf}">`,
    `  <rdf:Description rdf:about=""`,
    `    xmlns:dc="${NS.dc}"`,
    `    xmlns:photoshop="${NS.photoshop}"`,
    `    xmlns:plus="${NS.plus}"`,
    `    xmlns:xmpRights="${NS.xmpRights}">`,
    `   <dc:title>${alt(rights.isicId)}</dc:title>`,
    `   <plus:ImageSupplierImageID>${escapeXml(rights.isicId)}</plus:ImageSupplierImageID>`,
    `   <plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource"><plus:LicensorName>${escapeXml(rights.attribution)}</plus:LicensorName></rdf:li></rdf:Seq></plus:Licensor>`,
    `   <photoshop:Credit>${escapeXml(rights.attribution)}</photoshop:Credit>`,
    `   <photoshop:Source>${escapeXml(rights.supplier)}</photoshop:Source>`,
    `   <xmpRights:UsageTerms>${alt(rights.license)}</xmpRights:UsageTerms>`,
    ...(rights.licenseUrl === undefined ? [] : [`   <xmpRights:WebStatement>${escapeXml(rights.licenseUrl)}</xmpRights:WebStatement>`]),
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ];
  return lines.join('\n');
}

/** Returns `jpeg` with the rights XMP right after SOI (and after a JFIF APP0 there). Refuses a file that already has XMP. */
export function insertRightsXmp(jpeg: Uint8Array, rights: RightsMetadata): Buffer {
  const segments = readJpegSegments(jpeg);
  const existing = segments.find((s) => s.marker === 0xe1 && (s.identifier === XMP_NAMESPACE || s.identifier === 'http://ns.adobe.com/xmp/extension/'));
  if (existing) throw new Error(`insertRightsXmp: the JPEG already has XMP (${existing.name}:${existing.identifier} at offset ${existing.offset}); strip it first`);
  const jfif = segments[1]?.marker === 0xe0 && segments[1].identifier === 'JFIF' ? segments[1] : undefined;
  const at = jfif ? jfif.offset + jfif.length : 2;
  return Buffer.concat([jpeg.subarray(0, at), rightsXmpSegment(rights), jpeg.subarray(at)]);
}

// ---- allowlist check -------------------------------------------------------------------------

/**
 * Every property in the packet that is not in ALLOWED_XMP_PROPERTIES, as written ('exif:GPSLatitude'),
 * with the namespace URI appended when a known prefix is bound to another namespace. Properties are
 * the elements inside rdf:Description (at any depth: structure fields count too) and the attributes
 * on rdf:Description / rdf:li other than xmlns, rdf:about, rdf:parseType and xml:lang.
 * Anything that is no property but could still carry data is reported too: '#comment', '#doctype',
 * '#cdata', '#text' outside property values, unknown rdf:/x: syntax and '#invalid-xml: …'.
 */
export function disallowedXmpProperties(xmp: string): string[] {
  let root: XmlElement[];
  let outside: string[];
  try {
    ({ roots: root, markers: outside } = parseXml(xmp));
  } catch (err) {
    return [`#invalid-xml: ${(err as Error).message}`];
  }
  const found = new Set<string>();
  const allowed = new Set(ALLOWED_XMP_PROPERTIES.map((q) => expand(q)));
  const nameOf = (n: QName) => {
    const canonical = Object.entries(NS).find(([, uri]) => uri === n.uri)?.[0];
    if (canonical) return `${canonical}:${n.local}`;
    return n.prefix in NS ? `${n.prefix}:${n.local} (${n.uri || 'no namespace'})` : `${n.prefix ? `${n.prefix}:` : ''}${n.local}`;
  };
  const property = (n: QName) => {
    if (!allowed.has(`${n.uri} ${n.local}`)) found.add(nameOf(n));
  };
  const syntax = (n: QName, ok: boolean) => {
    if (!ok) found.add(nameOf(n));
  };
  const isRdf = (n: QName, ...locals: string[]) => n.uri === NS.rdf && locals.includes(n.local);
  const isLang = (n: QName) => n.uri === NS.xml && n.local === 'lang';
  /** Only leaf property values hold text: structural elements and mixed content are reported, as are comments and CDATA anywhere. */
  const collectMarkers = (el: XmlElement) => {
    for (const m of el.markers) found.add(m);
    const structural = el.children.length > 0 || isRdf(el.name, 'RDF', 'Description', 'Alt', 'Seq', 'Bag') || el.name.uri === NS.x;
    if (structural && el.text.trim() !== '') found.add(`#text (inside ${nameOf(el.name)})`);
    for (const child of el.children) collectMarkers(child);
  };
  /** On property elements and rdf:li: rdf:parseType and xml:lang are syntax, other rdf: attributes are not allowed, the rest are (shorthand) structure fields. */
  const propertyAttributes = (el: XmlElement) => {
    for (const a of el.attributes) {
      if (isRdf(a.name, 'parseType') || isLang(a.name)) continue;
      if (a.name.uri === NS.rdf || a.name.uri === NS.xml || a.name.uri === '') syntax(a.name, false);
      else property(a.name);
    }
  };

  /** An element that is a property (or structure field): its attributes, then its value. */
  const visitProperty = (el: XmlElement) => {
    property(el.name);
    propertyAttributes(el);
    const parseType = el.attributes.find((a) => isRdf(a.name, 'parseType'))?.value;
    for (const child of el.children) {
      if (parseType === 'Resource') visitProperty(child);
      else if (isRdf(child.name, 'Alt', 'Seq', 'Bag')) visitContainer(child);
      else if (isRdf(child.name, 'Description')) visitDescription(child, false);
      else found.add(`${nameOf(child.name)} (inside ${nameOf(el.name)})`);
    }
  };
  const visitContainer = (el: XmlElement) => {
    for (const a of el.attributes) syntax(a.name, false);
    for (const li of el.children) {
      if (!isRdf(li.name, 'li')) {
        syntax(li.name, false);
        continue;
      }
      propertyAttributes(li); // shorthand structure fields, as ISIC's own XMP writes plus:LicensorName
      for (const child of li.children) {
        if (isRdf(child.name, 'Description')) visitDescription(child, false);
        else visitProperty(child);
      }
    }
  };
  const visitDescription = (el: XmlElement, topLevel: boolean) => {
    for (const a of el.attributes) {
      if (topLevel && isRdf(a.name, 'about')) continue;
      if (a.name.uri === NS.rdf || a.name.uri === NS.xml || a.name.uri === '') syntax(a.name, false);
      else property(a.name);
    }
    for (const child of el.children) visitProperty(child);
  };

  for (const top of root) {
    if (!(top.name.uri === NS.x && top.name.local === 'xmpmeta')) {
      if (isRdf(top.name, 'RDF')) visitRdf(top);
      else syntax(top.name, false);
      continue;
    }
    // x:xmptk names the writing toolkit; nothing else belongs on x:xmpmeta.
    for (const a of top.attributes) syntax(a.name, a.name.uri === NS.x && a.name.local === 'xmptk');
    for (const child of top.children) {
      if (isRdf(child.name, 'RDF')) visitRdf(child);
      else syntax(child.name, false);
    }
  }
  function visitRdf(rdf: XmlElement) {
    for (const a of rdf.attributes) syntax(a.name, false);
    for (const child of rdf.children) {
      if (isRdf(child.name, 'Description')) visitDescription(child, true);
      else syntax(child.name, false);
    }
  }
  for (const el of root) collectMarkers(el);
  for (const marker of outside) found.add(marker);
  return [...found].sort();
}

// ---- a small namespace-aware XML reader, enough for XMP packets ---------------------------------

interface QName {
  prefix: string;
  local: string;
  uri: string;
}

interface XmlElement {
  name: QName;
  /** Attributes other than namespace declarations. */
  attributes: Array<{ name: QName; value: string }>;
  children: XmlElement[];
  /** Non-whitespace text directly inside this element. */
  text: string;
  /** Comments, CDATA sections and processing instructions directly inside this element. */
  markers: string[];
}

function expand(qualified: string): string {
  const [prefix, local] = qualified.split(':');
  return `${NS[prefix as keyof typeof NS]} ${local}`;
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;

/**
 * Parses `xml` into its top-level elements plus the comments and processing instructions outside
 * them (the xpacket wrapper excepted); throws on malformed markup, undeclared prefixes and DTDs.
 */
function parseXml(xml: string): { roots: XmlElement[]; markers: string[] } {
  let pos = 0;
  const roots: XmlElement[] = [];
  const outside: string[] = [];
  const note = (marker: string) => (stack.length > 0 ? stack.at(-1)!.el.markers : outside).push(marker);
  const stack: Array<{ el: XmlElement; raw: string; scope: Map<string, string> }> = [];
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${pos}`);
  };
  const scope = () => stack.at(-1)?.scope ?? new Map([['xml', NS.xml]]);
  const resolve = (raw: string, names: Map<string, string>, isAttribute: boolean): QName => {
    const [prefix, local] = raw.includes(':') ? raw.split(':') : ['', raw];
    if (isAttribute && prefix === '') return { prefix, local, uri: '' };
    const uri = names.get(prefix);
    if (uri === undefined) {
      if (prefix === '') return { prefix, local, uri: '' };
      fail(`undeclared namespace prefix '${prefix}'`);
    }
    return { prefix, local, uri: uri! };
  };

  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (text.trim() !== '') {
      if (stack.length === 0) fail('text outside the root element');
      stack.at(-1)!.el.text += text;
    }
    if (lt < 0) break;
    pos = lt;
    if (xml.startsWith('<?', pos)) {
      const end = xml.indexOf('?>', pos);
      if (end < 0) fail('unterminated processing instruction');
      const target = xml.slice(pos + 2, end).split(/\s/)[0];
      if (stack.length > 0 || target !== 'xpacket') note(`#pi:${target}`);
      pos = end + 2;
    } else if (xml.startsWith('<!--', pos)) {
      const end = xml.indexOf('-->', pos);
      if (end < 0) fail('unterminated comment');
      note('#comment');
      pos = end + 3;
    } else if (xml.startsWith('<![CDATA[', pos)) {
      const end = xml.indexOf(']]>', pos);
      if (end < 0) fail('unterminated CDATA section');
      if (stack.length === 0) fail('CDATA outside the root element');
      stack.at(-1)!.el.markers.push('#cdata');
      pos = end + 3;
    } else if (xml.startsWith('<!', pos)) {
      fail('DOCTYPE or other declaration');
    } else if (xml.startsWith('</', pos)) {
      const m = NAME.exec(xml.slice(pos + 2));
      if (!m) fail('malformed end tag');
      const open = stack.pop();
      if (!open || open.raw !== m![0]) fail(`end tag </${m![0]}> does not match <${open?.raw ?? '(none)'}>`);
      pos += 2 + m![0].length;
      const gt = /^\s*>/.exec(xml.slice(pos));
      if (!gt) fail('malformed end tag');
      pos += gt![0].length;
    } else {
      const m = NAME.exec(xml.slice(pos + 1));
      if (!m) fail('malformed start tag');
      const raw = m![0];
      pos += 1 + raw.length;
      const rawAttributes: Array<[string, string]> = [];
      for (;;) {
        const attr = /^\s+([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(pos));
        if (!attr) break;
        if (rawAttributes.some(([n]) => n === attr[1])) fail(`duplicate attribute ${attr[1]}`);
        rawAttributes.push([attr[1], decodeEntities(attr[3] ?? attr[4], fail)]);
        pos += attr[0].length;
      }
      const close = /^\s*(\/?)>/.exec(xml.slice(pos));
      if (!close) fail(`malformed start tag <${raw}>`);
      pos += close![0].length;
      const names = new Map(scope());
      for (const [n, v] of rawAttributes) {
        if (n === 'xmlns') names.set('', v);
        else if (n.startsWith('xmlns:')) names.set(n.slice(6), v);
      }
      const el: XmlElement = {
        name: resolve(raw, names, false),
        attributes: rawAttributes
          .filter(([n]) => n !== 'xmlns' && !n.startsWith('xmlns:'))
          .map(([n, value]) => ({ name: resolve(n, names, true), value })),
        children: [],
        text: '',
        markers: [],
      };
      if (stack.length > 0) stack.at(-1)!.el.children.push(el);
      else roots.push(el);
      if (close![1] !== '/') stack.push({ el, raw, scope: names });
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack.at(-1)!.raw}>`);
  for (const r of roots) decodeText(r, fail);
  return { roots, markers: outside };
}

function decodeText(el: XmlElement, fail: (what: string) => never): void {
  el.text = decodeEntities(el.text, fail);
  for (const child of el.children) decodeText(child, fail);
}

function decodeEntities(text: string, fail: (what: string) => never): string {
  return text.replace(/&([^;&\s]*);?/g, (ref, body: string) => {
    if (!ref.endsWith(';')) fail(`bare '&' in '${ref}'`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in named) return named[body];
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
    if (num) return String.fromCodePoint(num[1][0] === 'x' ? parseInt(num[1].slice(1), 16) : parseInt(num[1], 10));
    return fail(`unknown entity &${body};`);
  });
}

/** XML-escapes text for element content and attribute values; refuses characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  // With the u flag a surrogate pair is one code point, so the range \uD800-\uDFFF only matches lone surrogates.
  // eslint-disable-next-line no-control-regex
  const invalid = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/u;
  if (invalid.test(text)) throw new Error(`text contains characters XML cannot carry: ${JSON.stringify(text)}`);
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
