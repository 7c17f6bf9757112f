import { onnx } from 'onnx-proto';

/**
 * A small builder for ONNX graphs (opset 17 + ORT's com.microsoft contrib domain): names values, adds nodes and
 * float32/int64 initializers, and serializes a ModelProto. Graphs are built from trained weights in TypeScript, so
 * each network's export sits next to its tfjs definition and is guarded by parity tests.
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

export type ElementType = 'float32' | 'int32' | 'int64';

const DATA_TYPE: Record<ElementType, number> = { float32: FLOAT, int32: INT32, int64: INT64 };

/** A dimension: a fixed size or a symbolic name (e.g. 'batch'). */
export type Dim = number | string;

type AttributeValue = number | readonly number[] | string;

export const OPSET = 17;
export const CONTRIB_DOMAIN = 'com.microsoft';

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;
  private usesContrib = false;

  constructor(private readonly name: string) {}

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(value: string, name: string, type: ElementType, dims: readonly Dim[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initializer (weights, constants). */
  float(values: Float32Array | readonly number[], dims: readonly number[], hint = 'c'): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) {
      throw new RangeError(`${hint}: ${data.length} values for [${dims.join(', ')}]`);
    }
    return this.initializer(hint, FLOAT, dims, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** An int64 initializer (shapes, axes, slice bounds). */
  int64(values: readonly number[], hint = 'i'): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer(hint, INT64, [values.length], Buffer.from(data.buffer));
  }

  scalar(value: number, hint = 's'): string {
    return this.initializer(hint, FLOAT, [], Buffer.from(Float32Array.of(value).buffer));
  }

  /** Adds a node; returns its (first) output name. */
  op(
    type: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    output?: string,
    domain?: string,
  ): string {
    const out = output ?? this.fresh(type);
    if (domain === CONTRIB_DOMAIN) this.usesContrib = true;
    this.nodes.push(
      onnx.NodeProto.create({
        opType: type,
        domain: domain ?? '',
        name: `${type}_${this.counter}`,
        input: [...inputs],
        output: [out],
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return out;
  }

  /** x [..., in] · w [in, out] + b [out]. */
  dense(x: string, kernel: string, bias?: string): string {
    const y = this.op('MatMul', [x, kernel]);
    return bias === undefined ? y : this.op('Add', [y, bias]);
  }

  serialize(): Uint8Array {
    const opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })];
    if (this.usesContrib)
      opsetImport.push(onnx.OperatorSetIdProto.create({ domain: CONTRIB_DOMAIN, version: 1 }));
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'maskgen',
      opsetImport,
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private initializer(hint: string, dataType: number, dims: readonly number[], rawData: Buffer): string {
    const name = this.fresh(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData }));
    return name;
  }

  private fresh(hint: string): string {
    return `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.counter++}`;
  }
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DATA_TYPE[type],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return { name, type: AttributeType.STRING, s: Buffer.from(value) };
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) && !Object.is(value, -0) && !FLOAT_ATTRIBUTES.has(name)
      ? { name, type: AttributeType.INT, i: value }
      : { name, type: AttributeType.FLOAT, f: value };
  }
  return { name, type: AttributeType.INTS, ints: [...value] };
}

/** Attributes ONNX defines as floats even when their value is a whole number. */
const FLOAT_ATTRIBUTES = new Set(['epsilon', 'alpha', 'beta', 'scale']);
