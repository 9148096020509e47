from puente.cli.main import main

main()
