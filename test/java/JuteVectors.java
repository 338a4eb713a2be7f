// Serializes records with Apache ZooKeeper's own jute classes (org.apache.jute.BinaryOutputArchive) and
// prints them as JSON: for each vector, the record name, its field values (as the record's own serialize()
// reports them, field by field, with jute's tags as keys) and the bytes in hex. The bytes are then read
// back with org.apache.jute.BinaryInputArchive; when what Java reads back differs from what was written,
// that is recorded as "decoded". See test/java/README.md for how to regenerate
// test/unit/fixtures/jute-vectors.json.

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.OutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.apache.zookeeper.proto.CreateRequest;
import org.apache.zookeeper.proto.CreateResponse;
import org.apache.zookeeper.proto.GetDataResponse;
import org.apache.zookeeper.proto.MultiHeader;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;
import org.apache.zookeeper.proto.SetWatches2;
import org.apache.zookeeper.proto.WatcherEvent;
import org.apache.zookeeper.txn.CreateTxn;
import org.apache.zookeeper.txn.DeleteTxn;
import org.apache.zookeeper.txn.ErrorTxn;
import org.apache.zookeeper.txn.MultiTxn;
import org.apache.zookeeper.txn.SetDataTxn;
import org.apache.zookeeper.txn.Txn;
import org.apache.zookeeper.txn.TxnHeader;

public class JuteVectors {

    /** An OutputArchive that records what a Record's serialize() writes, keyed by jute tag. */
    static final class JsonArchive implements OutputArchive {
        private final ArrayList<Object> stack = new ArrayList<>();
        private Object root;

        Object result() {
            return root;
        }

        private void put(String tag, Object v) {
            if (stack.isEmpty()) {
                root = v;
                return;
            }
            Object top = stack.get(stack.size() - 1);
            if (top instanceof List) {
                @SuppressWarnings("unchecked") List<Object> l = (List<Object>) top;
                l.add(v);
            } else if (top instanceof Map) {
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) top;
                if (m.containsKey(tag)) {
                    throw new IllegalStateException("duplicate tag " + tag);
                }
                m.put(tag, v);
            } else {
                throw new IllegalStateException("write inside a null vector");
            }
        }

        public void writeByte(byte b, String tag) { put(tag, (int) b); }
        public void writeBool(boolean b, String tag) { put(tag, b); }
        public void writeInt(int i, String tag) { put(tag, i); }
        /** Longs as decimal strings: JSON numbers cannot carry all 64 bits. */
        public void writeLong(long l, String tag) { put(tag, Long.toString(l)); }
        public void writeFloat(float f, String tag) { throw new UnsupportedOperationException(); }
        public void writeDouble(double d, String tag) { throw new UnsupportedOperationException(); }
        public void writeString(String s, String tag) { put(tag, s); }
        /** Buffers as lowercase hex strings. */
        public void writeBuffer(byte[] buf, String tag) { put(tag, buf == null ? null : hex(buf)); }
        public void writeRecord(Record r, String tag) throws IOException { r.serialize(this, tag); }
        public void startRecord(Record r, String tag) {
            Map<String, Object> m = new LinkedHashMap<>();
            put(tag, m);
            stack.add(m);
        }
        public void endRecord(Record r, String tag) { stack.remove(stack.size() - 1); }
        public void startVector(List<?> v, String tag) {
            if (v == null) {
                put(tag, null);
                stack.add(Boolean.FALSE); // nothing may be written until endVector
            } else {
                List<Object> l = new ArrayList<>();
                put(tag, l);
                stack.add(l);
            }
        }
        public void endVector(List<?> v, String tag) { stack.remove(stack.size() - 1); }
        public void startMap(TreeMap<?, ?> v, String tag) { throw new UnsupportedOperationException(); }
        public void endMap(TreeMap<?, ?> v, String tag) { throw new UnsupportedOperationException(); }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    /** JSON with every non-ASCII UTF-16 unit escaped, so that strings survive exactly (lone surrogates too). */
    static void json(StringBuilder sb, Object v, String indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            String s = (String) v;
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20 || c > 0x7e) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
        } else if (v instanceof Integer || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ",").append("\n").append(indent).append("  ");
                json(sb, e.getKey(), "");
                sb.append(": ");
                json(sb, e.getValue(), indent + "  ");
                first = false;
            }
            sb.append("\n").append(indent).append("}");
        } else if (v instanceof List) {
            List<?> l = (List<?>) v;
            sb.append("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                json(sb, l.get(i), indent);
            }
            sb.append("]");
        } else {
            throw new IllegalArgumentException(v.getClass().getName());
        }
    }

    static byte[] bytes(Record r) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        r.serialize(BinaryOutputArchive.getArchive(bos), "");
        return bos.toByteArray();
    }

    static Object fields(Record r) throws IOException {
        JsonArchive a = new JsonArchive();
        r.serialize(a, "");
        return a.result();
    }

    static final List<Object> vectors = new ArrayList<>();

    /** A record whose fields are reported by its own serialize(); also read back with BinaryInputArchive. */
    static void record(String name, String note, Record r) throws Exception {
        byte[] b = bytes(r);
        Record back = r.getClass().getDeclaredConstructor().newInstance();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
        back.deserialize(BinaryInputArchive.getArchive(in), "");
        if (in.available() != 0) {
            throw new IllegalStateException(name + ": bytes left after deserialize");
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", name);
        v.put("record", r.getClass().getSimpleName());
        if (note != null) {
            v.put("note", note);
        }
        Object value = fields(r);
        v.put("value", value);
        Object decoded = fields(back);
        StringBuilder x = new StringBuilder();
        StringBuilder y = new StringBuilder();
        json(x, value, "");
        json(y, decoded, "");
        if (!x.toString().equals(y.toString())) {
            v.put("decoded", decoded);
        }
        v.put("hex", hex(b));
        vectors.add(v);
    }

    /** Bytes without a field breakdown (composite framings such as a multi), described by a note. */
    static void raw(String name, String note, Record r) throws IOException {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", name);
        v.put("record", r.getClass().getSimpleName());
        v.put("note", note);
        v.put("hex", hex(bytes(r)));
        vectors.add(v);
    }

    /** Bytes not produced by BinaryOutputArchive, with what BinaryInputArchive reads from them. */
    static void decodeOnly(String name, String note, Record r, byte[] b) throws Exception {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
        r.deserialize(BinaryInputArchive.getArchive(in), "");
        if (in.available() != 0) {
            throw new IllegalStateException(name + ": bytes left after deserialize");
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", name);
        v.put("record", r.getClass().getSimpleName());
        v.put("note", note);
        v.put("decoded", fields(r));
        v.put("hex", hex(b));
        vectors.add(v);
    }

    /** A CreateResponse (one ustring) whose string bytes are given in hex. */
    static byte[] stringRecord(String utf8Hex) {
        int n = utf8Hex.length() / 2;
        byte[] b = new byte[4 + n];
        b[0] = (byte) (n >>> 24);
        b[1] = (byte) (n >>> 16);
        b[2] = (byte) (n >>> 8);
        b[3] = (byte) n;
        for (int i = 0; i < n; i++) {
            b[4 + i] = (byte) Integer.parseInt(utf8Hex.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static byte[] seq(int n, int start) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    public static void main(String[] args) throws Exception {
        final long sessionId = 0x0100018c5f3e0000L;
        final long maxLong53 = (1L << 53) - 1;
        ACL worldAll = new ACL(31, new Id("world", "anyone"));
        ACL digestReadAdmin = new ACL(1 | 16, new Id("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="));
        ACL ipRead = new ACL(1, new Id("ip", "10.0.0.0/8"));
        Stat stat = new Stat(0x100000001L, 0x100000002L, 1700000000123L, 1700000000456L, 3, 4, 5, 0L, 5, 2, 0x100000003L);

        // ---- client protocol: handshake
        record("ConnectRequest new session", null,
            new ConnectRequest(0, 0L, 30000, 0L, new byte[16]));
        record("ConnectRequest reconnect", null,
            new ConnectRequest(0, 0x200000007L, 40000, sessionId, seq(16, 0xf0)));
        record("ConnectRequest extreme longs", "lastZxidSeen -1, sessionId Long.MIN_VALUE; both are 64-bit longs",
            new ConnectRequest(0, -1L, Integer.MAX_VALUE, Long.MIN_VALUE, new byte[0]));
        record("ConnectResponse", null,
            new ConnectResponse(0, 30000, sessionId, seq(16, 0x80)));
        record("ConnectResponse max session id", null,
            new ConnectResponse(0, 4000, Long.MAX_VALUE, null));
        record("ConnectResponse session id -1", null,
            new ConnectResponse(0, 4000, -1L, new byte[16]));

        // ---- headers
        record("RequestHeader create", null, new RequestHeader(1, 1));
        record("RequestHeader ping", null, new RequestHeader(-2, 11));
        record("RequestHeader setWatches2", null, new RequestHeader(-8, 105));
        record("ReplyHeader notification", null, new ReplyHeader(-1, -1L, 0));
        record("ReplyHeader NoNode", null, new ReplyHeader(7, 0x100000002L, -101));
        record("ReplyHeader max zxid", "the largest zxid a long53 field holds", new ReplyHeader(8, maxLong53, 0));
        record("ReplyHeader Integer.MIN_VALUE xid", null, new ReplyHeader(Integer.MIN_VALUE, 0L, Integer.MAX_VALUE));

        // ---- requests and responses
        record("CreateRequest with ACLs", null,
            new CreateRequest("/app/\u00e9\u65e5\u672c", "hello".getBytes("UTF-8"),
                Arrays.asList(worldAll, digestReadAdmin, ipRead), 3));
        record("CreateRequest null data, empty ACL", null,
            new CreateRequest("/n", null, new ArrayList<>(), 0));
        record("CreateRequest null ACL vector", null,
            new CreateRequest("/n", new byte[0], null, 1));
        record("CreateResponse ASCII", null, new CreateResponse("/a/b-0000000001"));
        record("CreateResponse BMP", "2- and 3-byte UTF-8 sequences", new CreateResponse("/\u00e9/\u65e5\u672c/\u20ac"));
        record("CreateResponse null", null, new CreateResponse(null));
        record("CreateResponse emoji",
            "BinaryOutputArchive encodes each UTF-16 unit on its own, so a supplementary character becomes two "
                + "3-byte surrogate encodings (CESU-8), which Java's UTF-8 decoder reads back as U+FFFD per surrogate",
            new CreateResponse("/\ud83d\ude00"));
        decodeOnly("CreateResponse 4-byte UTF-8 emoji", "standard UTF-8 for U+1F600, as non-Java clients send it",
            new CreateResponse(), stringRecord("2ff09f9880"));
        decodeOnly("CreateResponse encoded lone surrogate", "ED A0 BD is U+D83D encoded on its own",
            new CreateResponse(), stringRecord("2feda0bd"));
        decodeOnly("CreateResponse lone continuation byte", null, new CreateResponse(), stringRecord("2f8061"));
        decodeOnly("CreateResponse overlong slash", "C0 AF is an overlong encoding of '/'",
            new CreateResponse(), stringRecord("2fc0af"));
        decodeOnly("CreateResponse truncated sequence", "E6 97 is the start of a 3-byte sequence cut short",
            new CreateResponse(), stringRecord("2fe697"));
        decodeOnly("CreateResponse beyond U+10FFFF", null, new CreateResponse(), stringRecord("2ff4908080"));
        record("Stat large values", null,
            new Stat(maxLong53, 0x1fffff00000001L, 1700000000123L, 1700000999999L, Integer.MAX_VALUE, -1, -1,
                0xff00000000001234L, 1048575, 0, 0x100000000L));
        record("Stat zxid beyond 2^53", "czxid = 2^53 (epoch 0x200000): outside a long53 field's range",
            new Stat(1L << 53, 1L, 0L, 0L, 0, 0, 0, 0L, 0, 0, 1L));
        record("Stat negative time", null,
            new Stat(0L, 0L, -1L, -((1L << 53) - 1), Integer.MIN_VALUE, 0, 0, sessionId, 0, 0, 0L));
        record("GetDataResponse null data", null, new GetDataResponse(null, stat));
        record("GetDataResponse with data", null, new GetDataResponse(seq(5, 0xfd), stat));
        record("SetWatches2", null,
            new SetWatches2(0x100000005L, Arrays.asList("/a", "/b/c"), new ArrayList<>(), Collections.singletonList("/"),
                null, Arrays.asList("/r", "/\u00e9")));
        record("MultiHeader create op", null, new MultiHeader(1, false, -1));
        record("MultiHeader end", null, new MultiHeader(-1, true, -1));
        record("MultiHeader error result", null, new MultiHeader(-1, false, -101));
        record("WatcherEvent NodeCreated", null, new WatcherEvent(1, 3, "/a"));
        record("WatcherEvent NodeChildrenChanged BMP path", null, new WatcherEvent(4, 3, "/\u65e5\u672c"));
        record("WatcherEvent expired", null, new WatcherEvent(-1, -112, null));

        // ---- transaction log records
        record("TxnHeader create", null, new TxnHeader(sessionId, 5, 0x100000003L, 1700000000123L, 1));
        record("TxnHeader createSession", null, new TxnHeader(0xff00000000000001L, 0, 0x1L, 0L, -10));
        CreateTxn createTxn = new CreateTxn("/e", "v".getBytes("UTF-8"), Arrays.asList(worldAll), true, 7);
        record("CreateTxn ephemeral", null, createTxn);
        record("CreateTxn null data", null,
            new CreateTxn("/p", null, Arrays.asList(worldAll, digestReadAdmin), false, -1));
        SetDataTxn setDataTxn = new SetDataTxn("/e", new byte[] {0, 1, 2}, 1);
        record("MultiTxn", "sub-txns are Txn{type, data} with data the serialized sub-record",
            new MultiTxn(Arrays.asList(new Txn(1, bytes(createTxn)), new Txn(5, bytes(setDataTxn)),
                new Txn(2, bytes(new DeleteTxn("/gone"))))));
        record("MultiTxn failed", "as PrepRequestProcessor writes a failed multi: a real create, the failing op as "
                + "ErrorTxn(NONODE), the op after it as ErrorTxn(RUNTIMEINCONSISTENCY)",
            new MultiTxn(Arrays.asList(new Txn(1, bytes(createTxn)), new Txn(-1, bytes(new ErrorTxn(-101))),
                new Txn(-1, bytes(new ErrorTxn(-2))))));

        // ---- multi framing (org.apache.zookeeper.MultiOperationRecord / MultiResponse)
        raw("MultiOperationRecord",
            "Op.create(\"/m\", [1,2], OPEN_ACL_UNSAFE, PERSISTENT_SEQUENTIAL), Op.delete(\"/d\", 4), "
                + "Op.setData(\"/s\", null, -1), Op.check(\"/c\", 2): each op is MultiHeader{type, false, -1} + its request "
                + "record, then MultiHeader{-1, true, -1}",
            new MultiOperationRecord(Arrays.asList(
                Op.create("/m", new byte[] {1, 2}, Collections.singletonList(worldAll), CreateMode.PERSISTENT_SEQUENTIAL),
                Op.delete("/d", 4),
                Op.setData("/s", null, -1),
                Op.check("/c", 2))));
        MultiResponse failed = new MultiResponse();
        failed.add(new OpResult.ErrorResult(0));
        failed.add(new OpResult.ErrorResult(-101));
        failed.add(new OpResult.ErrorResult(-2));
        raw("MultiResponse failed",
            "ErrorResult(0), ErrorResult(-101), ErrorResult(-2): each is MultiHeader{-1, false, err} + ErrorResponse{err}, "
                + "then MultiHeader{-1, true, -1}",
            failed);

        StringBuilder sb = new StringBuilder();
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("generatedBy", "test/java/JuteVectors.java with the Apache ZooKeeper 3.8.0 jars (see test/java/README.md)");
        top.put("vectors", vectors);
        json(sb, top, "");
        System.out.println(sb);
    }
}
