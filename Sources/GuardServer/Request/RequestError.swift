/// A request the service refuses: the HTTP status and the message of its `{"error": …}` body.
struct RequestError: Error {
    let status: Int
    let message: String

    static func badRequest(_ message: String) -> RequestError { RequestError(status: 400, message: message) }
    static func tooLarge(_ message: String) -> RequestError { RequestError(status: 413, message: message) }
}
