import Foundation
import Synchronization

/// Jakarta Mail 2 (Debian `libjakarta-mail-java`), the library family Jira's mail handler is built on:
/// the small Java clients of the IMAP and POP3 tests are compiled here, once per class per test process.
public enum JakartaMail {
    /// Jakarta Mail's jars.
    public static let jars = ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]

    /// A Java method `static SSLSocketFactory trustOnly(String caFile)` that trusts the certificates in
    /// `caFile` and nothing else, for splicing into a client's source (needs `java.io.*`,
    /// `java.security.KeyStore`, `java.security.cert.*` and `javax.net.ssl.*` imported).
    public static let trustOnlyMethod = #"""
            static SSLSocketFactory trustOnly(String caFile) throws Exception {
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                int i = 0;
                try (InputStream in = new BufferedInputStream(new FileInputStream(caFile))) {
                    for (java.security.cert.Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, tmf.getTrustManagers(), null);
                return ctx.getSocketFactory();
            }
        """#

    private static let compiled = Mutex<[String: Result<String, TestFailure>]>([:])

    /// Compiles `source` (public class `className`) with javac the first time it is asked for and
    /// returns the classpath to run it with (`java -cp <classpath> <className> ...`).
    public static func classpath(className: String, source: String) throws -> String {
        try compiled.withLock { cache in
            if let done = cache[className] { return done }
            let result = compile(className: className, source: source)
            cache[className] = result
            return result
        }.get()
    }

    static func compile(className: String, source: String) -> Result<String, TestFailure> {
        for jar in jars where !FileManager.default.fileExists(atPath: jar) {
            return .failure(
                TestFailure(
                    "\(jar) is missing: install the 'libjakarta-mail-java' package (apt-get install libjakarta-mail-java)"
                ))
        }
        do {
            let dir = try TestSupport.temporaryDirectory("exomock-jakarta-\(className)")
            let path = dir.appendingPathComponent("\(className).java").path
            try source.write(toFile: path, atomically: true, encoding: .utf8)
            let jarPath = jars.joined(separator: ":")
            let result = try runProgram(
                "javac", ["-d", dir.path, "-cp", jarPath, path], package: "default-jdk-headless", timeout: 180)
            guard result.status == 0 else {
                return .failure(TestFailure("javac failed: \(result.output) \(result.error)"))
            }
            return .success("\(dir.path):\(jarPath)")
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }
}
