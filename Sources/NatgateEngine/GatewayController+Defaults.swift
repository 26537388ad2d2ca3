import Logging

extension GatewayController {
    /// A controller over `store` that logs nowhere and manages the forwarding the store says, as
    /// `init(store:logger:compiler:)` does: for a tool that has not set up logging, and that need
    /// not import Logging to make one.
    public init(store: any RuleStore) {
        self.init(store: store, logger: Logger(label: "natgate", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}
