import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over a loopback socket: sends the bytes given (so malformed and oversized
/// requests are possible), reads until the server closes the connection.
enum HTTPClient {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String

        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    enum Failure: Error { case connect, closedEarly }

    static func request(port: Int, method: String = "POST", path: String = "/v1/guard", body: String = "", headers: [String] = []) throws -> Reply {
        let head = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Length: \(body.utf8.count)"] + headers
        return try raw(port: port, Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8))
    }

    /// ``request(port:method:path:body:headers:)`` on a thread of its own, so that waiting for the
    /// reply never holds a thread of the concurrency pool the server in the same process runs on.
    static func send(port: Int, method: String = "POST", path: String = "/v1/guard", body: String = "") async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try request(port: port, method: method, path: path, body: body) }) }.start()
        }
    }

    static func raw(port: Int, _ bytes: [UInt8]) throws -> Reply {
        let fd = try open(port: port, sending: bytes)
        defer { close(fd) }
        return try reply(fd)
    }

    /// Connects and sends `bytes`; the caller reads the reply with ``reply(_:)`` and closes the socket.
    static func open(port: Int, sending bytes: [UInt8]) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var connected: Int32 = -1
        for _ in 0..<40 where connected != 0 {  // a loaded machine may accept a moment late
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected != 0 { usleep(50_000) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure.connect
        }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return fd
    }

    /// Reads until the server closes the connection or the body its Content-Length announces is in, and parses the reply.
    static func reply(_ fd: Int32) throws -> Reply {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !isComplete(received) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure.closedEarly }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return Reply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// Whether `bytes` hold a whole reply: the head and as many body bytes as its Content-Length says.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<split.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return text[split.upperBound...].utf8.count >= length
    }
}
