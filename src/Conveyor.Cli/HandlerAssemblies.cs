using System.Reflection;
using System.Runtime.Loader;

namespace Conveyor.Cli;

/// <summary>
/// Loads users' handlers into <c>conveyor work/serve --handlers my.dll</c>: every public class implementing
/// <see cref="IJobHandler{TArgs}"/> and marked <see cref="JobKindAttribute"/> is registered under its kind.
/// </summary>
internal static class HandlerAssemblies
{
    private static readonly MethodInfo AddHandler = typeof(ConveyorOptions).GetMethod(nameof(ConveyorOptions.AddHandler))!;

    /// <summary>Loads the assemblies once; returns one registration per handler found, to apply to any options object.</summary>
    public static IReadOnlyList<Action<ConveyorOptions>> Load(IEnumerable<string> paths)
    {
        var registrations = new List<Action<ConveyorOptions>>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full))
                throw new JobValidationException($"--handlers: no file '{path}'.");
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
            var directory = Path.GetDirectoryName(full)!;
            // The handler assembly's own dependencies are looked up beside it.
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                var candidate = Path.Combine(directory, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };
            foreach (var type in assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
            {
                var attribute = type.GetCustomAttribute<JobKindAttribute>();
                var handlerInterface = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJobHandler<>));
                if (attribute is null || handlerInterface is null)
                    continue;
                Action<JobKindOptions> configure = k =>
                {
                    if (attribute.MaxAttempts > 0) k.MaxAttempts = attribute.MaxAttempts;
                    if (attribute.TimeoutSeconds > 0) k.Timeout = TimeSpan.FromSeconds(attribute.TimeoutSeconds);
                };
                var add = AddHandler.MakeGenericMethod(handlerInterface.GetGenericArguments()[0], type);
                registrations.Add(options => add.Invoke(options, [attribute.Kind, configure]));
            }
        }
        return registrations;
    }
}
