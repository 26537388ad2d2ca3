/// `-m connmark --mark VALUE[/MASK]`: the mark of the packet's connection tracking entry.
///
/// Kernel: `xt_connmark_mtinfo1`, revision 1. iptables-save prints it as `mark` does.
public struct ConnmarkMatch: MarkPatternMatch {
    public static let name = "connmark"
    public var mark: Negatable<MarkPattern>?
    public init() {}
}
