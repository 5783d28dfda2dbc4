/**
 * Writes small ONNX models for tests (a concept model folder of any kind without a training run):
 * the few ModelProto fields onnxruntime needs, protobuf-encoded by hand (onnx.proto field numbers).
 */

export interface OnnxNode {
  op: string;
  inputs: string[];
  output: string;
}

export interface OnnxTensorInfo {
  name: string;
  /** a number is a fixed size, a string a named (dynamic) dimension */
  shape: (number | string)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  /** float32 constants: name, dims and values (row-major) */
  initializers: { name: string; dims: number[]; values: number[] }[];
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

const FLOAT = 1;

export function onnxModel(graph: OnnxGraph, opset = 17): Buffer {
  const graphProto = Buffer.concat([
    ...graph.nodes.map((n, i) => message(1, Buffer.concat([...n.inputs.map((x) => text(1, x)), text(2, n.output), text(3, `node${i}`), text(4, n.op)]))),
    text(2, 'test_graph'),
    ...graph.initializers.map((t) => message(5, Buffer.concat([...t.dims.map((d) => varintField(1, d)), varintField(2, FLOAT), text(8, t.name), bytes(9, Buffer.from(Float32Array.from(t.values).buffer))]))),
    ...graph.inputs.map((v) => message(11, valueInfo(v))),
    ...graph.outputs.map((v) => message(12, valueInfo(v))),
  ]);
  return Buffer.concat([varintField(1, 8), message(8, Buffer.concat([text(1, ''), varintField(2, opset)])), message(7, graphProto)]);
}

function valueInfo({ name, shape }: OnnxTensorInfo): Buffer {
  const dims = shape.map((d) => message(1, typeof d === 'number' ? varintField(1, d) : text(2, d)));
  const tensor = Buffer.concat([varintField(1, FLOAT), message(2, Buffer.concat(dims))]);
  return Buffer.concat([text(1, name), message(2, message(1, tensor))]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const varintField = (field: number, value: number) => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer) => Buffer.concat([key(field, 2), varint(value.length), value]);
const text = (field: number, value: string) => bytes(field, Buffer.from(value, 'utf8'));
const message = bytes;
