// The one place XML is parsed: fast-xml-parser with namespace prefixes removed, no attributes,
// all values as strings, and DOCTYPE (entity definitions) refused outright.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UpnpDescriptionError } from '../errors.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'service' || name === 'device',
});

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

export function parseXml(text: string): XmlNode | UpnpDescriptionError {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return new UpnpDescriptionError('XML with a DOCTYPE is refused');
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    return new UpnpDescriptionError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  try {
    const parsed: unknown = parser.parse(text);
    if (!isNode(parsed)) return new UpnpDescriptionError('XML document without elements');
    return parsed;
  } catch (e) {
    return new UpnpDescriptionError(`malformed XML: ${(e as Error).message}`);
  }
}

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The child element as a node (first one if repeated), or undefined. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (node === undefined) return undefined;
  const v = node[name];
  const first = Array.isArray(v) ? v[0] : v;
  return isNode(first) ? first : undefined;
}

/** All child elements with that name that are nodes. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined) return [];
  const v = node[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter(isNode);
}

/** Text content of a child element; undefined if absent or not text. */
export function text(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined) return undefined;
  const v = node[name];
  if (typeof v === 'string') return v;
  return undefined;
}
