import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the test authority could not load or create its files. Every case names the file and says
/// what to do.
public enum TestAuthorityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An existing file could not be read (permissions, a directory in its place, ...).
    case unreadableFile(path: String, reason: String)
    /// An existing file was read but is not what it should be (not PEM, not a certificate, not a
    /// P-256 key, a CA key that does not match the CA certificate, ...).
    case corruptFile(path: String, reason: String)
    /// The CA certificate has expired or expires within 30 days.
    case authorityExpiring(path: String, notValidAfter: Date)
    /// The directory could not be created, or a file in it could not be written.
    case cannotWrite(path: String, reason: String)
    /// Another process held the directory's lock for longer than `TestAuthority.lockWaitSeconds`.
    case lockTimeout(path: String, seconds: Double)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return
                "cannot read \(path): \(reason). Fix its permissions, or delete the certificate directory \(Self.directory(of: path)) to regenerate every certificate (then trust the new ca.pem again)."
        case .corruptFile(let path, let reason):
            return
                "\(path) is corrupt: \(reason). Delete the certificate directory \(Self.directory(of: path)) to regenerate every certificate (then trust the new ca.pem again)."
        case .authorityExpiring(let path, let notValidAfter):
            return
                "the test CA \(path) expires at \(notValidAfter.formatted(.iso8601)) (less than 30 days from now). Delete the certificate directory \(Self.directory(of: path)) to regenerate every certificate, then trust the new ca.pem again."
        case .cannotWrite(let path, let reason):
            return
                "cannot write \(path): \(reason). Check that the directory exists or can be created and is writable, or choose another certificate directory."
        case .lockTimeout(let path, let seconds):
            return
                "another process held the lock \(path) for more than \(seconds) seconds while creating certificates. If no other exomock is running, delete \(path) and try again."
        }
    }

    static func directory(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }
}

/// File operations the authority needs: atomic writes with a mode, reads with located errors, and an
/// exclusive lock so two processes starting at once never create two different CAs.
enum Files {
    static func join(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    static func createDirectory(_ path: String) throws(TestAuthorityError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue {
                throw .cannotWrite(path: path, reason: "a file (not a directory) has that name")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Another process may have created it in between.
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
            throw .cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// Reads a whole small text file. Files larger than 1 MiB are corrupt by definition (a PEM
    /// certificate or key is a few hundred bytes).
    static func readText(_ path: String) throws(TestAuthorityError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard data.count <= 1024 * 1024 else {
            throw .corruptFile(
                path: path, reason: "it is \(data.count) bytes long, far larger than any PEM certificate or key")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .corruptFile(path: path, reason: "it is not UTF-8 text, so not PEM")
        }
        return text
    }

    /// Writes `text` to `path` atomically: a temporary file in the same directory, created with
    /// `mode`, written and flushed, then renamed over `path`. A reader sees the old file or the
    /// new one, never part of one.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws(TestAuthorityError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = join(directory, ".\(name).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .cannotWrite(path: temporary, reason: errnoText()) }
        var failure: String?
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += written
            }
        }
        // The mode given to open() is filtered by the umask; set it exactly.
        if failure == nil, fchmod(fd, mode) != 0 { failure = errnoText() }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw .cannotWrite(path: path, reason: failure)
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Holds an exclusive `flock` on `<directory>/.lock` while `body` runs. Waits at most `wait`
    /// seconds for another holder, then throws ``TestAuthorityError/lockTimeout(path:seconds:)``.
    /// The kernel drops the lock if the holder dies, so a crashed process never blocks the next.
    static func withLock<T>(
        in directory: String,
        wait: Double,
        _ body: () throws(TestAuthorityError) -> T
    ) throws(TestAuthorityError) -> T {
        let path = join(directory, ".lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
        defer { close(fd) }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw .cannotWrite(path: path, reason: "cannot lock: \(errnoText())")
            }
            guard Date() < deadline else { throw .lockTimeout(path: path, seconds: wait) }
            usleep(20_000)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// Binary and text forms of IP addresses, for `iPAddress` subject alternative names.
enum IPAddressText {
    /// The 4 or 16 address bytes of an IPv4 or IPv6 literal, or nil if `text` is not one.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The usual text form of 4 or 16 address bytes (`127.0.0.1`, `::1`).
    static func text(_ bytes: some Collection<UInt8>) -> String? {
        let bytes = Array(bytes)
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A canonical text form of an address literal, or nil if `text` is not one.
    static func canonical(_ text: String) -> String? {
        bytes(text).flatMap { Self.text($0) }
    }
}
