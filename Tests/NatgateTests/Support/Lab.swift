import Foundation
import Testing

/// Whether this process may create network namespaces: the end-to-end suites need root.
let isRoot = getuid() == 0
let rootReason: Comment = "needs root to create network namespaces; run Scripts/test as root"
