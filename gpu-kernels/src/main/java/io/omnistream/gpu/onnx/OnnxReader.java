package io.omnistream.gpu.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the messages of {@code onnx.proto} with protobuf-java's wire-format reader ({@link CodedInputStream}),
 * by the field numbers of the ONNX IR (stable since IR version 3). Reading the wire format directly keeps the
 * module free of generated code and of a copy of {@code onnx.proto}; unknown fields are skipped, as protobuf
 * requires, so newer files still read.
 */
final class OnnxReader {

    // ModelProto
    private static final int MODEL_IR_VERSION = 1;
    private static final int MODEL_PRODUCER_NAME = 2;
    private static final int MODEL_PRODUCER_VERSION = 3;
    private static final int MODEL_DOMAIN = 4;
    private static final int MODEL_VERSION = 5;
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET_IMPORT = 8;
    // OperatorSetIdProto
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;
    // GraphProto
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_NAME = 2;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int GRAPH_SPARSE_INITIALIZER = 15;
    // NodeProto
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int NODE_DOMAIN = 7;
    // AttributeProto
    private static final int ATTR_NAME = 1;
    private static final int ATTR_F = 2;
    private static final int ATTR_I = 3;
    private static final int ATTR_S = 4;
    private static final int ATTR_T = 5;
    private static final int ATTR_G = 6;
    private static final int ATTR_FLOATS = 7;
    private static final int ATTR_INTS = 8;
    private static final int ATTR_STRINGS = 9;
    private static final int ATTR_TENSORS = 10;
    private static final int ATTR_GRAPHS = 11;
    private static final int ATTR_TYPE = 20;
    // TensorProto
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_INT64_DATA = 7;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DOUBLE_DATA = 10;
    private static final int TENSOR_UINT64_DATA = 11;
    private static final int TENSOR_DATA_LOCATION = 14;
    // ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto(.Dimension)
    private static final int VALUE_INFO_NAME = 1;
    private static final int VALUE_INFO_TYPE = 2;
    private static final int TYPE_TENSOR_TYPE = 1;
    private static final int TENSOR_TYPE_ELEM_TYPE = 1;
    private static final int TENSOR_TYPE_SHAPE = 2;
    private static final int SHAPE_DIM = 1;
    private static final int DIM_VALUE = 1;
    private static final int DIM_PARAM = 2;

    private OnnxReader() {}

    static OnnxModel parseModel(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.enableAliasing(true);
        long ir = 0;
        long modelVersion = 0;
        String producer = "";
        String producerVersion = "";
        String domain = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        OnnxGraph graph = null;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MODEL_IR_VERSION -> ir = in.readInt64();
                case MODEL_PRODUCER_NAME -> producer = in.readString();
                case MODEL_PRODUCER_VERSION -> producerVersion = in.readString();
                case MODEL_DOMAIN -> domain = in.readString();
                case MODEL_VERSION -> modelVersion = in.readInt64();
                case MODEL_GRAPH -> graph = parseGraph(in.readBytes());
                case MODEL_OPSET_IMPORT -> parseOpset(in.readBytes(), opsets);
                default -> in.skipField(tag);
            }
        }
        if (graph == null) {
            throw new IOException("not an ONNX model: no graph (field 7) in " + bytes.length + " bytes");
        }
        return new OnnxModel(ir, producer, producerVersion, domain, modelVersion, opsets, graph);
    }

    private static void parseOpset(ByteString b, Map<String, Long> opsets) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String domain = "";
        long version = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case OPSET_DOMAIN -> domain = in.readString();
                case OPSET_VERSION -> version = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        opsets.put(domain, version);
    }

    static OnnxGraph parseGraph(ByteString b) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        List<StoredTensor> inits = new ArrayList<>();
        List<OnnxValueInfo> inputs = new ArrayList<>();
        List<OnnxValueInfo> outputs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NODE -> nodes.add(parseNode(in.readBytes()));
                case GRAPH_NAME -> name = in.readString();
                case GRAPH_INITIALIZER -> inits.add(parseTensor(in.readBytes()));
                case GRAPH_INPUT -> inputs.add(parseValueInfo(in.readBytes()));
                case GRAPH_OUTPUT -> outputs.add(parseValueInfo(in.readBytes()));
                case GRAPH_SPARSE_INITIALIZER -> throw new IOException("graph " + name + ": sparse initializers are not supported");
                default -> in.skipField(tag);
            }
        }
        return new OnnxGraph(name, nodes, inits, inputs, outputs);
    }

    private static OnnxNode parseNode(ByteString b) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String name = "";
        String op = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attrs = new LinkedHashMap<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(in.readString());
                case NODE_OUTPUT -> outputs.add(in.readString());
                case NODE_NAME -> name = in.readString();
                case NODE_OP_TYPE -> op = in.readString();
                case NODE_DOMAIN -> domain = in.readString();
                case NODE_ATTRIBUTE -> {
                    OnnxAttribute a = parseAttribute(in.readBytes());
                    attrs.put(a.name(), a);
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxNode(name, op, domain, inputs, outputs, attrs);
    }

    private static OnnxAttribute parseAttribute(ByteString b) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        byte[] s = null;
        StoredTensor t = null;
        OnnxGraph g = null;
        List<Float> floats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        List<byte[]> strings = new ArrayList<>();
        List<StoredTensor> tensors = new ArrayList<>();
        List<OnnxGraph> graphs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTR_NAME -> name = in.readString();
                case ATTR_TYPE -> type = in.readInt32();
                case ATTR_F -> f = in.readFloat();
                case ATTR_I -> i = in.readInt64();
                case ATTR_S -> s = in.readByteArray();
                case ATTR_T -> t = parseTensor(in.readBytes());
                case ATTR_G -> g = parseGraph(in.readBytes());
                case ATTR_FLOATS -> readFloats(in, tag, floats);
                case ATTR_INTS -> readInt64s(in, tag, ints);
                case ATTR_STRINGS -> strings.add(in.readByteArray());
                case ATTR_TENSORS -> tensors.add(parseTensor(in.readBytes()));
                case ATTR_GRAPHS -> graphs.add(parseGraph(in.readBytes()));
                default -> in.skipField(tag);
            }
        }
        return new OnnxAttribute(name, OnnxAttribute.Type.of(type), f, i, s, t, g, List.copyOf(floats), List.copyOf(ints),
                List.copyOf(strings), List.copyOf(tensors), List.copyOf(graphs));
    }

    static StoredTensor parseTensor(ByteString b) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String name = "";
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        ByteString raw = null;
        List<Float> floatData = new ArrayList<>();
        List<Long> intData = new ArrayList<>();
        List<Double> doubleData = new ArrayList<>();
        int location = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_DIMS -> readInt64s(in, tag, dims);
                case TENSOR_DATA_TYPE -> dataType = in.readInt32();
                case TENSOR_NAME -> name = in.readString();
                case TENSOR_RAW_DATA -> raw = in.readBytes();
                case TENSOR_FLOAT_DATA -> readFloats(in, tag, floatData);
                case TENSOR_INT32_DATA, TENSOR_INT64_DATA, TENSOR_UINT64_DATA -> readInt64s(in, tag, intData);
                case TENSOR_DOUBLE_DATA -> readDoubles(in, tag, doubleData);
                case TENSOR_DATA_LOCATION -> location = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        if (location != 0) {
            throw new IOException("tensor " + name + " keeps its data outside the model file; not supported");
        }
        OnnxDataType type = OnnxDataType.of(dataType);
        if (type == OnnxDataType.STRING) {
            throw new IOException("tensor " + name + " holds strings; not supported");
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long x : d) {
            count *= x;
        }
        byte[] data;
        if (raw != null) {
            data = raw.toByteArray();
        } else {
            data = typedToRaw(name, type, count, floatData, intData, doubleData);
        }
        return new StoredTensor(name, d, type, data);
    }

    /** The typed repeated fields written out in the little-endian layout of {@code raw_data}. */
    private static byte[] typedToRaw(String name, OnnxDataType type, long count, List<Float> floats, List<Long> ints,
            List<Double> doubles) throws IOException {
        int n = Math.toIntExact(count);
        int have = switch (type) {
            case FLOAT, COMPLEX64 -> floats.size();
            case DOUBLE, COMPLEX128 -> doubles.size();
            default -> ints.size();
        };
        int perElement = type == OnnxDataType.COMPLEX64 || type == OnnxDataType.COMPLEX128 ? 2 : 1;
        if (have != n * perElement) {
            throw new IOException("tensor " + name + " of " + count + " " + type + " elements stores " + have + " values");
        }
        ByteBuffer out = ByteBuffer.allocate(n * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < have; k++) {
            switch (type) {
                case FLOAT, COMPLEX64 -> out.putFloat(floats.get(k));
                case DOUBLE, COMPLEX128 -> out.putDouble(doubles.get(k));
                case INT64, UINT64 -> out.putLong(ints.get(k));
                case INT32, UINT32 -> out.putInt((int) (long) ints.get(k));
                case INT16, UINT16, FLOAT16, BFLOAT16 -> out.putShort((short) (long) ints.get(k));
                case INT8, UINT8, BOOL -> out.put((byte) (long) ints.get(k));
                default -> throw new IOException("tensor " + name + ": unsupported data type " + type);
            }
        }
        return out.array();
    }

    private static OnnxValueInfo parseValueInfo(ByteString b) throws IOException {
        CodedInputStream in = b.newCodedInput();
        String name = "";
        int elemType = 0;
        List<Long> dims = new ArrayList<>();
        List<String> dimNames = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case VALUE_INFO_NAME -> name = in.readString();
                case VALUE_INFO_TYPE -> {
                    CodedInputStream type = in.readBytes().newCodedInput();
                    int t;
                    while ((t = type.readTag()) != 0) {
                        if (WireFormat.getTagFieldNumber(t) == TYPE_TENSOR_TYPE) {
                            elemType = parseTensorType(type.readBytes(), dims, dimNames);
                        } else {
                            type.skipField(t);
                        }
                    }
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxValueInfo(name, OnnxDataType.of(elemType), dims, dimNames);
    }

    private static int parseTensorType(ByteString b, List<Long> dims, List<String> dimNames) throws IOException {
        CodedInputStream in = b.newCodedInput();
        int elemType = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_TYPE_ELEM_TYPE -> elemType = in.readInt32();
                case TENSOR_TYPE_SHAPE -> {
                    CodedInputStream shape = in.readBytes().newCodedInput();
                    int t;
                    while ((t = shape.readTag()) != 0) {
                        if (WireFormat.getTagFieldNumber(t) == SHAPE_DIM) {
                            parseDim(shape.readBytes(), dims, dimNames);
                        } else {
                            shape.skipField(t);
                        }
                    }
                }
                default -> in.skipField(tag);
            }
        }
        return elemType;
    }

    private static void parseDim(ByteString b, List<Long> dims, List<String> dimNames) throws IOException {
        CodedInputStream in = b.newCodedInput();
        long value = -1;
        String param = null;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case DIM_VALUE -> value = in.readInt64();
                case DIM_PARAM -> param = in.readString();
                default -> in.skipField(tag);
            }
        }
        dims.add(value);
        dimNames.add(param);
    }

    /** A repeated int64 field, packed (one length-delimited run) or not (one varint per tag). */
    private static void readInt64s(CodedInputStream in, int tag, List<Long> out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            out.add(in.readInt64());
        }
    }

    private static void readFloats(CodedInputStream in, int tag, List<Float> out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readFloat());
            }
            in.popLimit(limit);
        } else {
            out.add(in.readFloat());
        }
    }

    private static void readDoubles(CodedInputStream in, int tag, List<Double> out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readDouble());
            }
            in.popLimit(limit);
        } else {
            out.add(in.readDouble());
        }
    }
}
