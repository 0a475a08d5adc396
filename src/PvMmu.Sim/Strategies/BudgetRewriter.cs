using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PvMmu.Sim.Strategies;

/// <summary>
/// Puts the step budget (<see cref="Linux.Exit.StrategyBudget"/>) into a strategy file's code: a tick at the top of
/// every loop body and labelled statement, an enter at the top of every method, accessor and local function. Nothing
/// it adds holds a line break, so every line of the user's code keeps its number (the exceptions' lines are the file's).
/// </summary>
internal sealed class BudgetRewriter : CSharpSyntaxRewriter
{
    private static readonly StatementSyntax TickCall = SyntaxFactory.ParseStatement("global::PvMmu.Linux.Exit.StrategyBudget.Tick();");
    private static readonly StatementSyntax EnterCall = SyntaxFactory.ParseStatement("global::PvMmu.Linux.Exit.StrategyBudget.Enter();");

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node) =>
        ((WhileStatementSyntax)base.VisitWhileStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node) =>
        ((DoStatementSyntax)base.VisitDoStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node) =>
        ((ForStatementSyntax)base.VisitForStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node) =>
        ((ForEachStatementSyntax)base.VisitForEachStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node) =>
        ((ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitLabeledStatement(LabeledStatementSyntax node) =>
        ((LabeledStatementSyntax)base.VisitLabeledStatement(node)!).WithStatement(Ticked(node.Statement));

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var m = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        return m.Body != null ? m.WithBody(Entered(m.Body))
            : m.ExpressionBody != null ? m.WithBody(Block(m.ExpressionBody, IsVoid(m.ReturnType), m.SemicolonToken)).WithExpressionBody(null).WithSemicolonToken(default)
            : m;
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var f = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        return f.Body != null ? f.WithBody(Entered(f.Body))
            : f.ExpressionBody != null ? f.WithBody(Block(f.ExpressionBody, IsVoid(f.ReturnType), f.SemicolonToken)).WithExpressionBody(null).WithSemicolonToken(default)
            : f;
    }

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var a = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        var isVoid = !a.IsKind(SyntaxKind.GetAccessorDeclaration);
        return a.Body != null ? a.WithBody(Entered(a.Body))
            : a.ExpressionBody != null ? a.WithBody(Block(a.ExpressionBody, isVoid, a.SemicolonToken)).WithExpressionBody(null).WithSemicolonToken(default)
            : a;
    }

    public override SyntaxNode? VisitPropertyDeclaration(PropertyDeclarationSyntax node)
    {
        var p = (PropertyDeclarationSyntax)base.VisitPropertyDeclaration(node)!;
        if (p.ExpressionBody == null)
        {
            return p;
        }

        // "=> x;" is a getter: "{ get { enter; return x; } }", each line break where it was.
        var get = SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, Block(p.ExpressionBody, false, default));
        var list = SyntaxFactory.AccessorList(
            SyntaxFactory.Token(SyntaxKind.OpenBraceToken),
            SyntaxFactory.SingletonList(get),
            SyntaxFactory.Token(p.SemicolonToken.LeadingTrivia, SyntaxKind.CloseBraceToken, p.SemicolonToken.TrailingTrivia));
        return p.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(list);
    }

    public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node)
    {
        var c = (ConstructorDeclarationSyntax)base.VisitConstructorDeclaration(node)!;
        return c.Body != null ? c.WithBody(Entered(c.Body)) : c;
    }

    private static bool IsVoid(TypeSyntax type) => type is PredefinedTypeSyntax p && p.Keyword.IsKind(SyntaxKind.VoidKeyword);

    private static StatementSyntax Ticked(StatementSyntax body) =>
        body is BlockSyntax b
            ? b.WithStatements(b.Statements.Insert(0, TickCall))
            : SyntaxFactory.Block(TickCall, body.WithoutTrivia()).WithTriviaFrom(body);

    private static BlockSyntax Entered(BlockSyntax body) => body.WithStatements(body.Statements.Insert(0, EnterCall));

    /// <summary>
    /// "=> x;" as "{ enter; return x; }" (or "{ enter; x; }"): the arrow's trivia on the opening brace, the
    /// semicolon's on the closing one, the expression's where it was.
    /// </summary>
    private static BlockSyntax Block(ArrowExpressionClauseSyntax arrow, bool isVoid, SyntaxToken semicolon)
    {
        var end = SyntaxFactory.Token(SyntaxKind.SemicolonToken);
        StatementSyntax last = isVoid
            ? SyntaxFactory.ExpressionStatement(arrow.Expression, end)
            : SyntaxFactory.ReturnStatement(SyntaxFactory.Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(SyntaxFactory.Space), arrow.Expression, end);
        return SyntaxFactory.Block(
            SyntaxFactory.Token(arrow.ArrowToken.LeadingTrivia, SyntaxKind.OpenBraceToken, arrow.ArrowToken.TrailingTrivia),
            SyntaxFactory.List([EnterCall, last]),
            SyntaxFactory.Token(semicolon.LeadingTrivia, SyntaxKind.CloseBraceToken, semicolon.TrailingTrivia));
    }
}
