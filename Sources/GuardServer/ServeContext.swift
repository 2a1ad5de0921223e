import Hummingbird
import NIOCore

/// The context of one request: Hummingbird's core storage and the connection, so that a client too
/// slow to send its body can be cut off (its input closed) rather than drained byte by byte.
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
