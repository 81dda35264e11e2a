from gitorch.cli.entry import main

main()
