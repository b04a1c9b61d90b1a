using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor;

/// <summary>Turns a job request into a validated store row with the kind's and the options' defaults: one place for the client and the scheduler.</summary>
internal sealed class JobRowFactory(IOptions<ConveyorOptions> configured, JobKindRegistry kinds)
{
    private readonly ConveyorOptions options = configured.Value;

    public JobInsertRow Create(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobValidation.ValidateKind(request.Kind);
        var registered = kinds.TryGet(request.Kind, out var registration);
        if (!registered && options.StrictKinds)
            throw new UnknownJobKindException(request.Kind);
        var o = request.Options ?? new EnqueueOptions();
        JobValidation.ValidateOptions(o);
        var args = JobValidation.ValidateArgs(request.ArgsJson, options.MaxArgsBytes);
        var kindOptions = registered ? registration.Options : null;
        return new JobInsertRow(
            Kind: request.Kind,
            Queue: o.Queue ?? kindOptions?.Queue ?? "default",
            Args: args,
            Priority: o.Priority ?? 0,
            MaxAttempts: o.MaxAttempts ?? kindOptions?.MaxAttempts ?? options.DefaultMaxAttempts,
            RunAt: o.RunAt,
            UniqueKey: o.UniqueKey,
            ConcurrencyKey: o.ConcurrencyKey,
            BatchId: o.BatchId,
            Tags: o.Tags,
            Timeout: o.Timeout,
            // A delay counts from now on the store's clock, not this machine's.
            Delay: o.Delay,
            Weight: o.Weight,
            TraceParent: o.TraceParent);
    }
}
