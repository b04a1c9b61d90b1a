return await Conveyor.Cli.CliApp.RunAsync(args);
