using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor;

/// <summary>Per-kind settings; null falls back to the worker-wide defaults.</summary>
public sealed class JobKindOptions
{
    /// <summary>Attempts before the job is failed. Default: <see cref="ConveyorOptions.DefaultMaxAttempts"/> (10).</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>An attempt running longer is cancelled and fails with a timeout error. Default: none.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Back-off between attempts. Default: <see cref="ConveyorOptions.Backoff"/>.</summary>
    public BackoffPolicy? Backoff { get; set; }

    /// <summary>The queue used when an enqueue names none. Default: "default".</summary>
    public string? Queue { get; set; }
}

/// <summary>One registered kind: its args type and how to run it.</summary>
public sealed class JobKindRegistration
{
    internal JobKindRegistration(string kind, Type argsType, Type handlerType, JobKindOptions options, JobInvoker invoke)
    {
        Kind = kind;
        ArgsType = argsType;
        HandlerType = handlerType;
        Options = options;
        Invoke = invoke;
    }

    /// <summary>The stable kind string.</summary>
    public string Kind { get; }
    /// <summary>The handler's args type.</summary>
    public Type ArgsType { get; }
    /// <summary>The handler.</summary>
    public Type HandlerType { get; }
    /// <summary>The kind's own settings.</summary>
    public JobKindOptions Options { get; }
    internal JobInvoker Invoke { get; }
}

internal delegate Task<JobResult> JobInvoker(IServiceProvider services, string argsJson, JobAttemptInfo info, ILogger logger, IProgressSink progress, DependencyReader dependencies, CancellationToken ct);

/// <summary>Kinds known to this process: kind string → handler, and args type → kind (for typed enqueue).</summary>
internal sealed class JobKindRegistry
{
    private readonly Dictionary<string, JobKindRegistration> _byKind = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, JobKindRegistration> _byArgsType = [];

    public IReadOnlyCollection<JobKindRegistration> All => _byKind.Values;

    public bool TryGet(string kind, out JobKindRegistration registration) => _byKind.TryGetValue(kind, out registration!);

    public bool TryGetByArgsType(Type argsType, out JobKindRegistration registration) => _byArgsType.TryGetValue(argsType, out registration!);

    internal JobKindRegistration Add<TArgs, THandler>(string kind, JobKindOptions options)
        where THandler : class, IJobHandler<TArgs>
    {
        JobValidation.ValidateKind(kind);
        if (_byKind.TryGetValue(kind, out var existing))
        {
            // The same registration again (AddConveyor called twice with one setup) is harmless.
            if (existing.ArgsType == typeof(TArgs) && existing.HandlerType == typeof(THandler))
                return existing;
            throw new InvalidOperationException($"Job kind '{kind}' is registered twice: to {existing.HandlerType.Name} and to {typeof(THandler).Name}.");
        }
        var registration = new JobKindRegistration(kind, typeof(TArgs), typeof(THandler), options, InvokeAsync<TArgs, THandler>);
        _byKind.Add(kind, registration);
        _byArgsType.TryAdd(typeof(TArgs), registration);
        return registration;
    }

    private static Task<JobResult> InvokeAsync<TArgs, THandler>(IServiceProvider services, string argsJson, JobAttemptInfo info, ILogger logger, IProgressSink progress, DependencyReader dependencies, CancellationToken ct)
        where THandler : class, IJobHandler<TArgs>
    {
        TArgs args;
        try
        {
            args = JsonSerializer.Deserialize<TArgs>(argsJson, ConveyorJson.Options)!;
        }
        catch (JsonException ex)
        {
            // Args that do not fit the handler's type will not fit on the next attempt either.
            throw new JobPermanentFailureException($"Args do not match {typeof(TArgs).Name}: {ex.Message}", ex);
        }
        var handler = ActivatorUtilities.GetServiceOrCreateInstance<THandler>(services);
        return handler.HandleAsync(new JobContext<TArgs>(args, info, logger, progress, dependencies, ct), ct);
    }
}
