import Foundation
import Probe
import Steering
import TestSupport
import Testing

@testable import Report

/// `steer report`'s reads: each training file twice (the projections need the means), each
/// held-out file once, both positions in the same read; and every figure equal to the bit to the
/// library call that computes it with passes of its own.
@Suite struct SharedPassesTests {
    static func request(probes: Bool) -> ReportRequest {
        ReportTests.request(bootstrap: 40).with { $0.trainProbes = probes }
    }

    /// The bytes of `rows` of `path` at the report's slots, both positions: one pass over them.
    static func onePass(_ path: String, rows: Range<Int>) throws -> Int {
        let acts = try Activations.open(path, selection: ActivationSelection(position: 0, rows: rows))
        return acts.rowCount * acts.layers.count * acts.width * acts.dtype.size * (acts.positionCount ?? 1)
    }

    @Test func trainingFilesAreReadTwiceAndHeldOutFilesOnce() throws {
        let request = Self.request(probes: false)
        var notes: [String] = []
        let files = try OpenedFiles(request, notes: &notes)
        let storages = [files.train.atP.positive, files.train.atP.negative, files.heldOut?.atP.positive, files.heldOut?.atP.negative]
            .compactMap { $0?.file.storage }
        let others = [files.train.atQ?.positive, files.train.atQ?.negative, files.heldOut?.atQ?.positive, files.heldOut?.atQ?.negative]
            .compactMap { $0?.file.storage }
        #expect(storages.count == 4 && others.count == 4)
        let before = (storages + others).map(\.bytesRead)
        _ = try SharedPasses(request, files: files, options: StreamOptions(workers: 2))
        let read = Fixtures.zipped(storages + others, before).map { $0.bytesRead - $1 }
        let train = try Self.onePass(request.pos, rows: 0..<180)
        let held = try Self.onePass(request.pos, rows: 180..<260)
        #expect(train > 0 && held > 0)
        #expect(read == [2 * train, 2 * train, held, held, 0, 0, 0, 0], "bytes read per file and position: \(read)")
    }

    @Test func everyFigureEqualsItsOwnLibraryCall() throws {
        let request = Self.request(probes: true)
        var notes: [String] = []
        let files = try OpenedFiles(request, notes: &notes)
        let options = StreamOptions(workers: 3)
        let passes = try SharedPasses(request, files: files, options: options)
        let (trainP, trainQ) = (files.train.atP, try #require(files.train.atQ))
        let (heldP, heldQ) = (try #require(files.heldOut?.atP), try #require(files.heldOut?.atQ))
        #expect(passes.positions.count == 2)
        for (pass, (train, held)) in Fixtures.zipped(passes.positions, [(trainP, heldP), (trainQ, heldQ)]) {
            let (report, directions, means) = try ExtractionReport.extract(
                positive: train.positive, negative: train.negative, measure: true, options: options)
            #expect(pass.extraction == report)
            #expect(pass.directions.vectors == directions.vectors && pass.directions.metadata == directions.metadata)
            #expect(pass.means.positive == means.positive && pass.means.negative == means.negative)
            let measured = try MeasurementReport.measure(
                directions, file: "the training directions", positive: held.positive, negative: held.negative, options: options)
            #expect(pass.heldOut == measured)
            let units = directions.unitVectors
            #expect(pass.projections.positive == (try held.positive.project(onto: units, options)))
            #expect(pass.projections.negative == (try held.negative.project(onto: units, options)))
        }
        let settings = try Bootstrap.Settings(resamples: 40, seed: request.seed)
        let band = try Bootstrap.cosineIntervals(
            a: (trainP.positive, trainP.negative), b: (trainQ.positive, trainQ.negative), settings: settings, options: options)
        #expect(passes.bootstrap == band)
        let fitted = try LatentGuard.fit(positive: trainP.positive, negative: trainP.negative, options: options)
        #expect(passes.fittedGuard?.positiveCentroids == fitted.positiveCentroids)
        #expect(passes.guardTrainScores?.positive == (try fitted.score(trainP.positive, options: options)))
        #expect(passes.guardTrainScores?.negative == (try fitted.score(trainP.negative, options: options)))
        #expect(passes.guardHeldOutScores?.positive == (try fitted.score(heldP.positive, options: options)))
        #expect(passes.guardHeldOutScores?.negative == (try fitted.score(heldP.negative, options: options)))
        let probes = try ProbeSet.train(positive: trainP.positive, negative: trainP.negative, c: 1, options: options)
        let probe = try #require(passes.probe)
        #expect(probe.decisions.positive == (try probes.decisions(heldP.positive, options: options)))
        #expect(probe.decisions.negative == (try probes.decisions(heldP.negative, options: options)))
    }
}

extension ReportRequest {
    fileprivate func with(_ change: (inout ReportRequest) -> Void) -> ReportRequest {
        var copy = self
        change(&copy)
        return copy
    }
}
