from gitorch.cli.app import main

main()
