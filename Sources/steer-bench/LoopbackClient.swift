import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to a server on loopback: sends a request, reads the reply whose
/// Content-Length says where it ends (the load generator of `steer-bench serve`).
final class LoopbackClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }

    /// `method path` with `body`; returns the status and the body of the reply.
    func send(_ method: String, _ path: String, body: String = "") throws -> (status: Int, body: [UInt8]) {
        let bytes = Array(body.utf8)
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let request = Array(head.utf8) + bytes
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed") }
            sent += n
        }
        while true {
            if let reply = try parse() { return reply }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "the server closed the connection") }
            buffer += chunk[0..<n]
        }
    }

    /// A whole reply at the front of the buffer, removed from it; nil while it is incomplete.
    private func parse() throws -> (status: Int, body: [UInt8])? {
        let end: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= 4, let split = (0...(buffer.count - 4)).first(where: { buffer[$0..<$0 + 4].elementsEqual(end) }) else { return nil }
        let head = String(decoding: buffer[0..<split], as: UTF8.self).lowercased()
        let lines = head.split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        guard let line = lines.first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { throw Failure(description: "a reply without Content-Length") }
        guard buffer.count >= split + 4 + length else { return nil }
        let body = Array(buffer[(split + 4)..<(split + 4 + length)])
        buffer.removeFirst(split + 4 + length)
        return (status, body)
    }
}
