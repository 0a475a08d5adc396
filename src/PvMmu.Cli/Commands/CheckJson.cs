using System.Text;
using System.Text.Json;
using PvMmu.Explore.Models;
using PvMmu.Explore.Search;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu check --json</c>: the verdict and what was covered as one JSON object, fields in a fixed order.</summary>
internal static class CheckJson
{
    public static string Write(
        string scenario,
        string strategy,
        int vcpus,
        string search,
        string answerFrom,
        ulong seed,
        int bound,
        ExplorationResult r,
        IReadOnlyList<PvMmu.Scheduling.Move>? shrunk,
        string? violation,
        string? replayFile,
        CheckSymmetry? symmetry = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", scenario);
            w.WriteString(Scenarios.IsHypervisorOnly(scenario) ? "xen" : "strategy", strategy);
            w.WriteNumber("vcpus", vcpus);
            w.WriteString("search", search);
            w.WriteString("answer_from", answerFrom);
            w.WriteNumber("seed", seed);
            w.WriteNumber("bound", bound);
            var sym = symmetry ?? CheckSymmetry.Off;
            w.WriteString("symmetry", sym.On ? "on" : "off");
            w.WriteStartArray("symmetry_classes");
            foreach (var c in sym.Classes)
            {
                w.WriteStartArray();
                foreach (var v in c)
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            if (sym.AbstractionViolation != null)
            {
                w.WriteString("symmetry_abstraction_violation", sym.AbstractionViolation);
            }
            var exhaustive = answerFrom == "exhaustive";
            var why = CheckVerdict.IncompleteBecause(r, answerFrom);
            w.WriteBoolean("complete", why == null);
            if (why == null)
            {
                w.WriteNull("incomplete_because");
            }
            else
            {
                w.WriteString("incomplete_because", why);
            }

            // With threads the moves taken depend on their timing; the report does not. It gives a count that does
            // not, and is at most the true one: every distinct state was visited, and a cap stops no sooner than it.
            var exact = !(exhaustive && r.Threads > 1);
            w.WriteNumber("states", exact ? r.States : r.StateCapped ? r.MaxStates : r.DistinctStates);
            w.WriteBoolean("states_exact", exact);

            // Which states a search cut by its state cap had reached depends, with threads, on their timing.
            var timed = exhaustive && r.Threads > 1 && r.StateCapped;
            if (timed)
            {
                w.WriteNull("distinct_states");
            }
            else
            {
                w.WriteNumber("distinct_states", r.DistinctStates);
            }

            if (exhaustive && r.Threads > 1)
            {
                w.WriteNull("deepest");
            }
            else
            {
                w.WriteNumber("deepest", r.MaxDepth);
            }

            w.WriteBoolean("exhausted", r.Exhausted);
            if (exhaustive)
            {
                if (timed)
                {
                    w.WriteNull("end_states");
                }
                else
                {
                    w.WriteNumber("end_states", r.EndStates);
                }

                w.WriteNumber("max_states", r.MaxStates);
                w.WriteBoolean("state_capped", r.StateCapped);
                w.WriteBoolean("sleep_sets", r.SleepSets);
                w.WriteNumber("threads", r.Threads);
                if (r.PreemptionBound is { } k)
                {
                    w.WriteNumber("preemptions", k);
                    w.WriteBoolean("preemption_bound_cut", r.PreemptionBoundCut);
                }
                else
                {
                    w.WriteNull("preemptions");
                }
            }

            w.WriteBoolean("timed_out", r.TimedOut);
            if (search != "exhaustive")
            {
                w.WriteNumber("schedules", r.Schedules);
            }

            if (r.Coverage.Count > 0)
            {
                CheckCoverage.WriteJson(w, r);
            }

            w.WriteNumber("fingerprint_bits", r.FingerprintBits);
            w.WriteNumber("fingerprint_collision_probability", CheckCoverage.CollisionEstimate(r).Probability);

            if (violation == null)
            {
                w.WriteNull("violation");
            }
            else
            {
                w.WriteString("violation", violation);
                w.WriteNumber("counterexample_moves", r.Counterexample.Count);
                w.WriteStartArray("shrunk_schedule");
                foreach (var c in shrunk ?? [])
                {
                    w.WriteStringValue(c.ToString());
                }

                w.WriteEndArray();
                w.WriteString("replay_file", replayFile);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
