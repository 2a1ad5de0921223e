extension DirectionSet {
    /// The layer convention the directions record (`steer.layer_convention`): what maps their
    /// slots to the model's blocks, for ``OrthogonalizationPlan`` and ``ControlVector`` alike.
    /// Throws naming `file` when none is recorded (an argument error: slots cannot be mapped to
    /// blocks without it, and an off-by-one edits the wrong layer) or when it is one steer does
    /// not know. A
    /// convention the user states for a file that records none is filled in when the file is
    /// read (``DirectionSource``).
    public func recordedConvention(file: String) throws -> LayerConvention {
        guard let recorded = metadata[SteerMetadata.Key.layerConvention] else {
            throw SteerError(
                .argument, file: file,
                "records no steer.layer_convention; slots cannot be mapped to blocks without it (state it with --convention hf_hidden_states, block_output or block_input)"
            )
        }
        guard let convention = LayerConvention(rawValue: recorded) else {
            throw SteerError.format(file, "records steer.layer_convention '\(recorded)', which steer does not know")
        }
        return convention
    }
}
