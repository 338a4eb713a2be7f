// Vectors for server-side algorithms, computed with Apache ZooKeeper 3.8.0's own classes where they are
// reachable and with the JDK where Apache delegates to it:
//  - session passwords: ZooKeeperServer.generatePasswd(id) is new Random(id ^ superSecret).nextBytes(16 bytes),
//    superSecret read from ZooKeeperServer by reflection;
//  - DigestAuthenticationProvider.generateDigest and isValid;
//  - IPAuthenticationProvider.matches and isValid;
//  - PathUtils.validatePath (the reason after "caused by", or the whole message for the early checks);
//  - java.util.Properties.load, which reads zoo.cfg, and QuorumPeerConfig.parseProperties, which interprets it.
// See test/java/README.md for how to regenerate test/unit/fixtures/server-vectors.json.

import java.io.StringReader;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Properties;
import java.util.TreeSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.apache.zookeeper.server.auth.IPAuthenticationProvider;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;

public class ServerVectors {

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
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
        return sb.append('"').toString();
    }

    static String obj(Map<String, String> m) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> e : m.entrySet()) {
            sb.append(first ? "" : ", ").append(str(e.getKey())).append(": ").append(e.getValue());
            first = false;
        }
        return sb.append("}").toString();
    }

    static void section(StringBuilder out, String name, List<String> rows, boolean last) {
        out.append("  ").append(str(name)).append(": [\n");
        for (int i = 0; i < rows.size(); i++) {
            out.append("    ").append(rows.get(i)).append(i + 1 < rows.size() ? ",\n" : "\n");
        }
        out.append("  ]").append(last ? "\n" : ",\n");
    }

    public static void main(String[] args) throws Exception {
        Field f = ZooKeeperServer.class.getDeclaredField("superSecret");
        f.setAccessible(true);
        long superSecret = f.getLong(null);

        List<String> passwd = new ArrayList<>();
        long[] ids = {0L, 1L, -1L, 0x0100018c5f3e0000L, 0x0100018c5f3e0001L, 0xff00000000000001L,
            Long.MIN_VALUE, Long.MAX_VALUE, superSecret};
        for (long id : ids) {
            byte[] p = new byte[16];
            new Random(id ^ superSecret).nextBytes(p);
            Map<String, String> m = new LinkedHashMap<>();
            m.put("sessionId", str(Long.toString(id)));
            m.put("passwd", str(hex(p)));
            passwd.add(obj(m));
        }

        List<String> digest = new ArrayList<>();
        String[] idPasswords = {"user:password", "super:secret", "bob:", ":pw", "nocolon", "u:p:with:colons",
            "", "\u00e9:\u65e5\u672c", "emoji:\ud83d\ude00", "a:b"};
        for (String s : idPasswords) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("idPassword", str(s));
            m.put("digest", str(DigestAuthenticationProvider.generateDigest(s)));
            digest.add(obj(m));
        }

        DigestAuthenticationProvider dap = new DigestAuthenticationProvider();
        List<String> digestValid = new ArrayList<>();
        for (String s : new String[] {"user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=", "user", "user:", ":hash", "a:b:c", "::", ""}) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("id", str(s));
            m.put("valid", Boolean.toString(dap.isValid(s)));
            digestValid.add(obj(m));
        }

        IPAuthenticationProvider ip = new IPAuthenticationProvider();
        List<String> ipMatches = new ArrayList<>();
        String[][] pairs = {
            {"10.1.2.3", "10.0.0.0/8"}, {"11.1.2.3", "10.0.0.0/8"}, {"10.255.255.255", "10.0.0.0/8"},
            {"192.168.1.77", "192.168.1.0/24"}, {"192.168.2.1", "192.168.1.0/24"},
            {"10.1.3.3", "10.1.2.0/23"}, {"10.1.4.3", "10.1.2.0/23"}, {"10.1.2.129", "10.1.2.128/25"},
            {"10.1.2.127", "10.1.2.128/25"}, {"1.2.3.4", "1.2.3.4"}, {"1.2.3.5", "1.2.3.4"},
            {"1.2.3.4", "1.2.3.4/32"}, {"1.2.3.4", "1.2.3.0/31"}, {"1.2.3.4", "0.0.0.0/0"}, {"1.2.3.4", "9.9.9.9/0"},
            {"1.2.3.4", "1.2.3.4/33"}, {"1.2.3.4", "1.2.3.4/-1"}, {"1.2.3.4", "1.2.3.4/x"},
            {"1.2.3.4", "1.2.3/8"}, {"1.2.3.4", "1.2.3.256"}, {"1.2.3.4", "01.2.3.4"}, {"1.2.3.4", "+1.2.3.4"},
            {"1.2.3.4", "1.2.3.4."}, {"127.0.0.1", "127.0.0.1/8"}, {"::1", "::1"}, {"1.2.3.4", "1.2.3.4/ 8"},
        };
        for (String[] p : pairs) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("id", str(p[0]));
            m.put("aclExpr", str(p[1]));
            m.put("matches", Boolean.toString(ip.matches(p[0], p[1])));
            ipMatches.add(obj(m));
        }
        List<String> ipValid = new ArrayList<>();
        for (String s : new String[] {"10.0.0.0/8", "10.0.0.0/0", "10.0.0.0/32", "10.0.0.0/33", "10.0.0.0/-1",
            "1.2.3", "1.2.3.4/", "a.b.c.d", "1.2.3.4/8/9", "1.2.3.4.", "256.1.1.1", "1.2.3.4", "::1", ""}) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("id", str(s));
            m.put("valid", Boolean.toString(ip.isValid(s)));
            ipValid.add(obj(m));
        }

        List<String> paths = new ArrayList<>();
        String[] ps = {"/", "/a", "/a/b", "//a", "/a//b", "/a/", "a", "", "/.", "/..", "/a/.", "/a/..", "/a/./b",
            "/a/../b", "/a/.b", "/a/..b", "/a/b.", "/a/b..", "/...", "/a/.../b", "/.a", "/a\u0000b", "/a\u0001",
            "/a\u001f", "/a\u0020b", "/a\u007e", "/a\u007f", "/a\u0080", "/a\u009f", "/a\u00a0", "/\u00e9",
            "/\u65e5\u672c", "/\ud800", "/\ud83d\ude00", "/\ue000", "/\uf8ff", "/\uf900", "/\ufeff", "/\uffef",
            "/\ufff0", "/\ufffd", "/\uffff", "/a\tb", "/zookeeper/quota", "/a\u00adb", "/-_:;@$!"};
        for (String p : ps) {
            String reason = null;
            try {
                PathUtils.validatePath(p);
            } catch (IllegalArgumentException e) {
                String msg = e.getMessage();
                int at = msg.lastIndexOf(" caused by ");
                reason = at >= 0 ? msg.substring(at + " caused by ".length()) : msg;
            }
            Map<String, String> m = new LinkedHashMap<>();
            m.put("path", str(p));
            m.put("reason", str(reason));
            paths.add(obj(m));
        }
        {
            String reason = null;
            try {
                PathUtils.validatePath(null);
            } catch (IllegalArgumentException e) {
                reason = e.getMessage();
            }
            Map<String, String> m = new LinkedHashMap<>();
            m.put("path", "null");
            m.put("reason", str(reason));
            paths.add(obj(m));
        }

        List<String> props = new ArrayList<>();
        String[] texts = {
            "tickTime=2000\ndataDir=/tmp/zk\n",
            "clientPort: 2181",
            "clientPort 2181",
            "clientPort\t\t2181",
            "  key   =   value  ",
            "k = = v",
            "k:=v",
            "k=v # not a comment",
            "# comment\n! also a comment\n   # indented comment\n\n   \nk=v",
            "k=a\\\n    b\\\n  c",
            "k=a\\\\\nx=y",
            "k=a\\\n#b",
            "a\\=b=c",
            "a\\:b:c",
            "\\ key\\ with\\ spaces = v",
            "key",
            "key=",
            "k=tab\\there\\nnl\\rcr\\ffeed\\q",
            "k=1\nk=2",
            "k=v\r\nk2=v2",
            "k=v\rk2=v2",
            "k=\\u0041\\u00e9",
            "k=a\\",
            "dataDir=C:\\\\zk\\\\data",
        };
        for (String text : texts) {
            Properties p = new Properties();
            p.load(new StringReader(text));
            StringBuilder entries = new StringBuilder("{");
            boolean first = true;
            for (String k : new TreeSet<>(p.stringPropertyNames())) {
                entries.append(first ? "" : ", ").append(str(k)).append(": ").append(str(p.getProperty(k)));
                first = false;
            }
            entries.append("}");
            Map<String, String> m = new LinkedHashMap<>();
            m.put("text", str(text));
            m.put("properties", entries.toString());
            props.add(obj(m));
        }

        List<String> qpc = new ArrayList<>();
        String[] cfgs = {
            "dataDir=/tmp/zk\nclientPort=2181",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=2000",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=500\nminSessionTimeout=100",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=2000\nmaxSessionTimeout=9000",
            "dataDir=/tmp/zk\nclientPort=2181\nminSessionTimeout=9000\nmaxSessionTimeout=8000",
            "dataDir=/tmp/zk\nclientPort=2181\nmaxClientCnxns=0",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=abc",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime= 2000 ",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=+2000",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=0x10",
            "dataDir=/tmp/zk\nclientPort=2181\ntickTime=3000000000",
            "dataDir=/tmp/zk\nclientPort=2181\nmaxClientCnxns=1.5",
            "clientPort=2181",
            "dataDir=/tmp/zk\nclientPort=2181\n4lw.commands.whitelist=*",
            "dataDir=/tmp/zk\nclientPort=2181\n4lw.commands.whitelist=stat, ruok ,conf",
            "dataDir=/tmp/zk\nclientPort=2181\nsomeUnknownKey=some value\nextendedTypesEnabled=true",
            "dataDir=/tmp/zk\nclientPort=2181\nzookeeper.foo=bar",
            "dataDir=/tmp/zk\nclientPort=2181\njute.maxbuffer=4194304",
        };
        for (String text : cfgs) {
            Properties before = (Properties) System.getProperties().clone();
            Properties p = new Properties();
            p.load(new StringReader(text));
            Map<String, String> m = new LinkedHashMap<>();
            m.put("text", str(text));
            try {
                QuorumPeerConfig c = new QuorumPeerConfig();
                c.parseProperties(p);
                m.put("tickTime", Integer.toString(c.getTickTime()));
                m.put("minSessionTimeout", Integer.toString(c.getMinSessionTimeout()));
                m.put("maxSessionTimeout", Integer.toString(c.getMaxSessionTimeout()));
                m.put("maxClientCnxns", Integer.toString(c.getMaxClientCnxns()));
                m.put("clientPort", Integer.toString(c.getClientPortAddress().getPort()));
                StringBuilder sys = new StringBuilder("{");
                boolean first = true;
                for (String k : new TreeSet<>(System.getProperties().stringPropertyNames())) {
                    String v = System.getProperty(k);
                    if (!v.equals(before.getProperty(k))) {
                        sys.append(first ? "" : ", ").append(str(k)).append(": ").append(str(v));
                        first = false;
                    }
                }
                m.put("newSystemProperties", sys.append("}").toString());
            } catch (Exception e) {
                m.put("error", str(e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
            System.setProperties(before);
            qpc.add(obj(m));
        }

        StringBuilder out = new StringBuilder("{\n");
        out.append("  \"generatedBy\": ")
            .append(str("test/java/ServerVectors.java with the Apache ZooKeeper 3.8.0 jars (see test/java/README.md)"))
            .append(",\n");
        out.append("  \"superSecret\": ").append(str(Long.toString(superSecret))).append(",\n");
        section(out, "passwd", passwd, false);
        section(out, "digest", digest, false);
        section(out, "digestIsValid", digestValid, false);
        section(out, "ipMatches", ipMatches, false);
        section(out, "ipIsValid", ipValid, false);
        section(out, "validatePath", paths, false);
        section(out, "propertiesLoad", props, false);
        section(out, "quorumPeerConfig", qpc, true);
        out.append("}");
        System.out.println(out);
    }
}
