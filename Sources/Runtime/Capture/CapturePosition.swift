import Steering

/// One token position a capture reads (DESIGN.md §7): `inst` (`t_inst`), `post` (`t_post`), `-k`, or
/// every template token after the instruction; lists of them are ``TokenPositions``.
public typealias CapturePosition = TokenPositions.Item
