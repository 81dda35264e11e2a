from textstats.cli import main

raise SystemExit(main())
